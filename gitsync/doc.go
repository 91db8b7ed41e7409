// Package gitsync reads desired state out of git: it turns a source (a repo
// URL, a ref and a sub-path) into a Snapshot, the committed tree of one
// commit as a list of files, and tells its caller when that may have changed.
//
// # Sources
//
// A source URL is one of:
//
//   - a local directory inside a git repository (relative or absolute). The
//     repository is opened in place, never cloned, and only committed
//     objects are read: uncommitted edits of the work tree are never
//     deployed. Pointing at a sub-directory makes that directory the root of
//     the source; Config.Path is then relative to it.
//   - file://, http(s):// or ssh:// (also scp-like git@host:path). These are
//     cloned bare into Config.CacheDir/<Name> and fetched with go-git. A
//     branch or tag is fetched with depth 1 and a fetch is skipped when the
//     listed commit is already in the cache; a commit hash fetches all
//     branches and tags in full, once.
//
// Credentials: for https a token is read from Config.TokenFile at every
// fetch (so rotated tokens work): "TOKEN" is sent as basic auth
// x-access-token:TOKEN (GitHub's convention, accepted by GitLab and Gitea
// too), "USER:TOKEN" as basic auth with that user, "Bearer TOKEN" as a bearer
// header. A token is never sent over plain http except to loopback. For ssh
// the key comes from Config.SSHKeyFile and the host key is always checked
// against Config.KnownHostsFile (default ~/.ssh/known_hosts); there is no
// option to skip that check, and a missing file is an error that says how to
// create one.
//
// # Refs
//
// Config.Ref is tried as a branch, then a tag, then a full or abbreviated
// commit hash; empty means HEAD (the remote's default branch, or the branch
// checked out in a local repo). An unknown ref is an error that lists the
// branches and tags that exist. A ref with range syntax (">=1.2.0 <2.0.0",
// "~1.4", "^2", "1.x"; see IsSemverRange) is a semver range over tags: the
// highest matching tag is deployed and named in Snapshot.ResolvedRef.
//
// # Signatures
//
// Config.Verify may require the commit at the ref (VerifyHead), or the
// annotated tag the ref names (VerifyTag), to be signed by a trusted key:
// armored OpenPGP public keys (checked with ProtonMail/go-crypto) or SSH keys
// of an allowed_signers file (SSHSIG, namespace "git", checked in pure Go in
// sshsig.go). Keys are re-read at every fetch. A commit that fails is not
// read at all: Fetch returns an *UnverifiedError with the commit's hash,
// author and message and the reason, so the caller can record it as
// refused while the last good commit keeps running.
//
// # Files
//
// Snapshot.Files holds every blob under the sub-path, sorted, with paths
// relative to it and slash-separated. Hash is the git blob hash, which
// package schema uses as its cache key. Files over MaxFileSize carry only
// their Size (their content is never read into memory), symlinks carry
// SymlinkTarget and no Data, and submodules are skipped. A Source keeps the
// blobs of its last snapshot by hash, so after a one-file commit only one
// blob is decompressed; File.Data is shared and must not be modified.
//
// # Change signals
//
// Watch returns a channel that fires when the ref may have moved: for a local
// repo through fsnotify on HEAD, packed-refs and refs/ (so `git commit` is
// seen at once; the first event signals immediately and a burst is folded
// into at most one more signal), for a remote one every PollInterval.
// Trigger fires every Watch channel now (`reconcile sync`, webhooks). The
// channels have a buffer of one and never block the producer.
//
// SnapshotAt reads a local repository at any ref without a Source, for the
// offline `reconcile diff --base/--head`.
package gitsync
