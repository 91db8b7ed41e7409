package gitsync

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// fullDepth asks the server for all history, also past the boundary of
// earlier shallow fetches (what `git fetch --unshallow` sends).
const fullDepth = 2147483647

// remoteRepo is a bare clone of a remote repository in the cache directory.
// A branch or tag is fetched with depth 1 (only its tip is deployed); a
// commit hash needs history, so it is fetched in full.
type remoteRepo struct {
	url     string
	dir     string
	auth    authFunc
	repo    *git.Repository
	storage *filesystem.Storage
}

// open opens or initialises the bare cache repo and points its "origin" at
// the configured URL (the URL may have changed since the cache was made).
func (r *remoteRepo) open() error {
	if r.repo != nil {
		return nil
	}
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return fmt.Errorf("creating git cache directory: %w: check the permissions of %s", err, filepath.Dir(r.dir))
	}
	st := filesystem.NewStorageWithOptions(osfs.New(r.dir), cache.NewObjectLRU(objectCacheSize),
		storageOptions)
	repo, err := git.Open(st, nil)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		repo, err = git.Init(st, nil)
	}
	if err != nil {
		return fmt.Errorf("opening git cache %s: %w: remove that directory to start a fresh clone", r.dir, err)
	}
	rem, err := repo.Remote("origin")
	if err == nil && (len(rem.Config().URLs) != 1 || rem.Config().URLs[0] != r.url) {
		if err := repo.DeleteRemote("origin"); err != nil {
			return fmt.Errorf("updating git cache %s: %w", r.dir, err)
		}
		err = git.ErrRemoteNotFound
	}
	if errors.Is(err, git.ErrRemoteNotFound) {
		_, err = repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{r.url}})
	}
	if err != nil {
		return fmt.Errorf("configuring git cache %s: %w", r.dir, err)
	}
	r.repo, r.storage = repo, st
	return nil
}

// fetch lists the remote's refs, fetches the one ref needs unless its commit
// is already here, and reads the tree.
func (r *remoteRepo) fetch(ctx context.Context, ref, subPath string, cache *blobCache, verify Verification) (*Snapshot, error) {
	if err := r.open(); err != nil {
		return nil, err
	}
	auth, err := r.auth()
	if err != nil {
		return nil, err
	}
	rem, err := r.repo.Remote("origin")
	if err != nil {
		return nil, err
	}
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: auth})
	if err != nil {
		return nil, r.explain("listing refs of", err)
	}
	var resolvedRef string
	if IsSemverRange(ref) {
		var tags []string
		for _, t := range refs {
			if t.Name().IsTag() {
				tags = append(tags, t.Name().Short())
			}
		}
		if resolvedRef, err = pickSemverTag(ref, tags, r.url); err != nil {
			return nil, err
		}
		ref = plumbing.NewTagReferenceName(resolvedRef).String()
	}
	name, hash, err := pickRemoteRef(refs, ref, r.url)
	if err != nil {
		return nil, err
	}
	var commit *object.Commit
	target := hash
	if name != "" {
		commit, err = r.fetchRef(ctx, auth, name, hash, ref)
	} else {
		commit, err = r.fetchCommit(ctx, auth, ref, refs)
		if commit != nil {
			target = commit.Hash
		}
	}
	if err != nil {
		return nil, err
	}
	refName := ref
	if resolvedRef != "" {
		refName = resolvedRef
	}
	signer, err := verify.verifyTarget(r.storage, target, commit, refName, name.IsTag())
	if err != nil {
		return nil, err
	}
	files, err := cache.files(r.storage, commit, subPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.url, err)
	}
	snap := snapshotOf(commit, files)
	snap.ResolvedRef, snap.SignedBy = resolvedRef, signer
	return snap, nil
}

// pickRemoteRef resolves ref against the advertised refs: "" is the remote
// HEAD, then a branch, then a tag. An empty name with no error means ref
// may be a commit hash.
func pickRemoteRef(refs []*plumbing.Reference, ref, url string) (plumbing.ReferenceName, plumbing.Hash, error) {
	byName := make(map[plumbing.ReferenceName]plumbing.Hash, len(refs))
	var head *plumbing.Reference
	for _, r := range refs {
		if r.Name() == plumbing.HEAD {
			head = r
			continue
		}
		byName[r.Name()] = r.Hash()
	}
	if ref == "" {
		if head == nil {
			return "", plumbing.ZeroHash, fmt.Errorf("%s has no HEAD (is it empty?): push a commit, or set a branch as the source's ref", url)
		}
		if head.Type() == plumbing.SymbolicReference {
			if h, ok := byName[head.Target()]; ok {
				return head.Target(), h, nil
			}
		}
		// No symref advertised: the branch whose tip HEAD is, preferring main.
		for _, b := range []string{"main", "master"} {
			if h := byName[plumbing.NewBranchReferenceName(b)]; h == head.Hash() {
				return plumbing.NewBranchReferenceName(b), h, nil
			}
		}
		for n, h := range byName {
			if n.IsBranch() && h == head.Hash() {
				return n, h, nil
			}
		}
		return "", plumbing.ZeroHash, fmt.Errorf("%s: cannot tell which branch HEAD is: set a branch as the source's ref", url)
	}
	for _, n := range candidateRefs(ref) {
		if h, ok := byName[n]; ok {
			return n, h, nil
		}
	}
	if hexHash.MatchString(ref) {
		return "", plumbing.ZeroHash, nil
	}
	return "", plumbing.ZeroHash, refNotFound(ref, url, refs)
}

// fetchRef brings the tip of one branch or tag into the cache (depth 1),
// skipping the network when that object is already here.
func (r *remoteRepo) fetchRef(ctx context.Context, auth transport.AuthMethod, name plumbing.ReferenceName, hash plumbing.Hash, ref string) (*object.Commit, error) {
	if r.storage.HasEncodedObject(hash) != nil {
		spec := config.RefSpec(fmt.Sprintf("+%s:%s", name, name))
		opts := &git.FetchOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Depth: 1, Tags: git.NoTags, Auth: auth, Force: true}
		err := r.repo.FetchContext(ctx, opts)
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) && !isAuthError(err) && ctx.Err() == nil {
			// Some servers refuse shallow fetches; fetch in full instead.
			opts.Depth = 0
			err = r.repo.FetchContext(ctx, opts)
		}
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, r.explain(fmt.Sprintf("fetching %s from", name.Short()), err)
		}
	}
	// The ref may lag behind hash if the remote moved between list and
	// fetch; hash is what was listed, so deploy exactly that.
	if ref == "" {
		ref = "HEAD"
	}
	return peelToCommit(r.storage, hash, ref)
}

// fetchCommit finds a full or short commit hash, fetching all branches and
// tags with full history when the cache does not have it yet.
func (r *remoteRepo) fetchCommit(ctx context.Context, auth transport.AuthMethod, ref string, refs []*plumbing.Reference) (*object.Commit, error) {
	lookup := func() (*object.Commit, bool) {
		h, err := r.repo.ResolveRevision(plumbing.Revision(strings.ToLower(ref)))
		if err != nil {
			return nil, false
		}
		c, err := peelToCommit(r.storage, *h, ref)
		return c, err == nil
	}
	if c, ok := lookup(); ok {
		return c, nil
	}
	opts := &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{"+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"},
		Depth:      fullDepth, Tags: git.NoTags, Auth: auth, Force: true,
	}
	err := r.repo.FetchContext(ctx, opts)
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, r.explain("fetching all branches and tags of", err)
	}
	if c, ok := lookup(); ok {
		return c, nil
	}
	return nil, refNotFound(ref, r.url, refs)
}

func isAuthError(err error) bool {
	return errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed)
}

// explained is an error with a message for people that still matches the
// transport error it came from under errors.Is.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }

// explain turns transport errors into what a person can act on.
func (r *remoteRepo) explain(doing string, err error) error {
	var hint string
	switch {
	case errors.Is(err, transport.ErrAuthenticationRequired):
		hint = "authentication required or the credentials were refused: check the source's token file or ssh key"
	case errors.Is(err, transport.ErrAuthorizationFailed):
		hint = "the credentials are not allowed to read this repository: grant the token or deploy key read access"
	case errors.Is(err, transport.ErrRepositoryNotFound):
		hint = "repository not found: check the URL (private repositories also answer this to missing credentials)"
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		hint = "the repository is empty: push a commit first"
	default:
		return fmt.Errorf("%s %s: %w", doing, r.url, err)
	}
	return &explained{msg: fmt.Sprintf("%s %s: %s", doing, r.url, hint), err: err}
}
