// Package sources runs the git side of the controller: for each configured
// source it waits for a change (fsnotify on a local repo, polling a remote
// one, or a trigger), fetches the committed tree, validates it against
// schema.cue and applies it to the store as one unit.
//
// A commit is applied whole or not at all: an invalid commit applies nothing
// and is recorded as the source's last attempted commit with its errors,
// while the last good commit keeps running.
package sources
