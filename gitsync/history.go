package gitsync

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// SnapshotOf reads the committed tree of one commit (a full or short hash)
// under the source's path, for `reconcile rollback`. A remote source reads
// it from its cache, fetching every branch and tag when the cache lacks it.
// No signature is checked: the caller decides whether the commit may run
// (e.g. only commits applied, hence verified, before).
func (s *Source) SnapshotOf(ctx context.Context, commit string) (*Snapshot, error) {
	if !hexHash.MatchString(commit) {
		return nil, fmt.Errorf("source %q: %q is not a commit hash: give one from `reconcile history`", s.cfg.Name, commit)
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	var (
		c   *object.Commit
		st  storer.EncodedObjectStorer
		sub string
		err error
	)
	if s.local != nil {
		st, sub = s.local.storage, s.local.subPath
		var h *plumbing.Hash
		if h, err = s.local.repo.ResolveRevision(plumbing.Revision(commit)); err == nil {
			c, err = peelToCommit(st, *h, commit)
		}
	} else {
		if err = s.remote.open(); err == nil {
			st, sub = s.remote.storage, s.cfg.Path
			a, aerr := s.remote.auth()
			if aerr != nil {
				return nil, aerr
			}
			c, err = s.remote.fetchCommit(ctx, a, commit, nil)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("source %q: commit %s: %w: give a commit of this repository (see `reconcile history`)", s.cfg.Name, commit, err)
	}
	files, err := readFiles(st, c, sub, newBlobCache())
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", s.cfg.Name, err)
	}
	snap := snapshotOf(c, files)
	snap.Source = s.cfg.Name
	return snap, nil
}

// Descends reports whether commit is ancestor or a descendant of it, i.e.
// whether moving the ref from ancestor to commit was a fast-forward. A
// remote source's cache is shallow (fetches have depth 1): when the answer
// lies beyond it, Descends fetches every branch and tag in full once and
// asks again. known is false when the history still does not tell (the old
// commit is gone from the server): then the move is not called a
// force-push.
func (s *Source) Descends(ctx context.Context, commit, ancestor string) (descends, known bool, err error) {
	if commit == ancestor {
		return true, true, nil
	}
	s.fetchMu.Lock()
	defer s.fetchMu.Unlock()
	if s.local != nil {
		return descendsIn(s.local.storage, commit, ancestor, true)
	}
	if err := s.remote.open(); err != nil {
		return false, false, err
	}
	d, k, err := descendsIn(s.remote.storage, commit, ancestor, false)
	if k || err != nil {
		return d, k, err
	}
	auth, err := s.remote.auth()
	if err != nil {
		return false, false, err
	}
	opts := &git.FetchOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		Depth: fullDepth, Tags: git.NoTags, Auth: auth, Force: true}
	if err := s.remote.repo.FetchContext(ctx, opts); err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return false, false, s.remote.explain("fetching the history of", err)
	}
	return descendsIn(s.remote.storage, commit, ancestor, false)
}

// descendsIn answers Descends from one object store; missingIsKnown says a
// missing old commit means it was dropped (a full local repository).
func descendsIn(st storer.EncodedObjectStorer, commit, ancestor string, missingIsKnown bool) (bool, bool, error) {
	get := func(h string) (*object.Commit, error) { return object.GetCommit(st, plumbing.NewHash(h)) }
	c, err := get(commit)
	if err != nil {
		return false, false, nil
	}
	a, err := get(ancestor)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		// The old commit is gone from the repo (garbage-collected after a
		// force-push) or was never fetched into a shallow cache.
		return false, missingIsKnown, nil
	}
	if err != nil {
		return false, false, err
	}
	ok, err := a.IsAncestor(c)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		return false, false, nil // shallow history ends before the answer
	}
	if err != nil {
		return false, false, err
	}
	return ok, true, nil
}
