package gitsync

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"

	"github.com/reconcile-dev/reconcile/schema"
)

// hexHash matches what may be a full or abbreviated commit hash.
var hexHash = regexp.MustCompile(`^[0-9a-fA-F]{4,40}$`)

// candidateRefs lists, in the order they are tried, the reference names a
// user-given ref may mean: a full name as given, else a branch, then a tag.
// A commit hash is tried after these by the caller.
func candidateRefs(ref string) []plumbing.ReferenceName {
	if strings.HasPrefix(ref, "refs/") {
		return []plumbing.ReferenceName{plumbing.ReferenceName(ref)}
	}
	// refs/remotes/ last: CI checkouts have origin/main, not main.
	return []plumbing.ReferenceName{plumbing.NewBranchReferenceName(ref), plumbing.NewTagReferenceName(ref), plumbing.ReferenceName("refs/remotes/" + ref)}
}

// refNotFound is the error for a ref that is no branch, tag or commit. It
// lists what exists so the user can pick.
func refNotFound(ref, where string, refs []*plumbing.Reference) error {
	var branches, tags []string
	for _, r := range refs {
		switch {
		case r.Name().IsBranch():
			branches = append(branches, r.Name().Short())
		case r.Name().IsTag():
			tags = append(tags, r.Name().Short())
		}
	}
	msg := fmt.Sprintf("ref %q not found in %s: no branch, tag or commit by that name", ref, where)
	if len(branches) > 0 {
		msg += "; branches: " + shortList(branches)
	}
	if len(tags) > 0 {
		msg += "; tags: " + shortList(tags)
	}
	return errors.New(msg)
}

func shortList(names []string) string {
	slices.Sort(names)
	const max = 10
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}

// peelToCommit follows annotated tags until it reaches a commit.
func peelToCommit(st storer.EncodedObjectStorer, h plumbing.Hash, ref string) (*object.Commit, error) {
	for range 10 { // tags of tags are legal; ten levels is plenty
		obj, err := st.EncodedObject(plumbing.AnyObject, h)
		if err != nil {
			return nil, fmt.Errorf("ref %q points at %s, which cannot be read: %w", ref, h, err)
		}
		switch obj.Type() {
		case plumbing.CommitObject:
			return object.DecodeCommit(st, obj)
		case plumbing.TagObject:
			tag, err := object.DecodeTag(st, obj)
			if err != nil {
				return nil, err
			}
			h = tag.Target
		default:
			return nil, fmt.Errorf("ref %q points at a %s (%s), not a commit: use a branch, tag or commit", ref, obj.Type(), h)
		}
	}
	return nil, fmt.Errorf("ref %q: too many nested tags", ref)
}

// snapshotOf fills a Snapshot's commit fields.
func snapshotOf(c *object.Commit, files []schema.File) *Snapshot {
	return &Snapshot{
		Commit:  c.Hash.String(),
		Author:  fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		Message: strings.TrimRight(c.Message, "\n"),
		Time:    c.Committer.When,
		Files:   files,
	}
}
