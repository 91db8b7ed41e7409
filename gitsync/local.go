package gitsync

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/go-git/go-billy/v5"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// localRepo is a repository on this machine, read in place: no clone, and
// only committed objects are read, never the work tree.
type localRepo struct {
	root      string // work tree root, or the git dir of a bare repo
	gitDir    string // holds HEAD (differs from commonDir in a linked worktree)
	commonDir string // holds refs/ and packed-refs
	subPath   string // slash path inside the repo
	repo      *git.Repository
	storage   *filesystem.Storage
}

// openLocal opens the repo containing dir. The sub-path is dir's position
// inside the repo joined with subPath.
func openLocal(dir, subPath string) (*localRepo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("local source %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return nil, fmt.Errorf("local source %s does not exist: give a directory inside a git repository", abs)
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("local source %s is a file: give a directory inside a git repository", abs)
	}
	found, err := git.PlainOpenWithOptions(abs, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("local source %s is not inside a git repository: run `git init` and commit there, or give a repository URL", abs)
	}
	if err != nil {
		return nil, fmt.Errorf("opening git repository at %s: %w", abs, err)
	}
	fsStorage, ok := found.Storer.(*filesystem.Storage)
	if !ok {
		return nil, fmt.Errorf("opening git repository at %s: unexpected storage %T", abs, found.Storer)
	}
	dotFS := fsStorage.Filesystem()
	var wtFS billy.Filesystem
	l := &localRepo{gitDir: dotFS.Root()}
	if wt, err := found.Worktree(); err == nil {
		wtFS = wt.Filesystem
		l.root = wtFS.Root()
	} else {
		l.root = l.gitDir // bare repository
	}
	l.commonDir = l.gitDir
	if b, err := os.ReadFile(filepath.Join(l.gitDir, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(l.gitDir, c)
		}
		l.commonDir = filepath.Clean(c)
	}
	// Reopen with a size threshold so that blobs over MaxFileSize stay on
	// disk (go-git otherwise inflates every object it is asked for).
	l.storage = filesystem.NewStorageWithOptions(dotFS, cache.NewObjectLRU(objectCacheSize),
		storageOptions)
	l.repo, err = git.Open(l.storage, wtFS)
	if err != nil {
		return nil, fmt.Errorf("opening git repository at %s: %w", l.root, err)
	}
	l.subPath = path.Join(positionIn(l.root, abs), subPath)
	if l.subPath == "." {
		l.subPath = ""
	}
	return l, nil
}

// positionIn is dir's slash path relative to root, "" when dir is the root or
// lies outside it (e.g. inside .git).
func positionIn(root, dir string) string {
	if r, err := filepath.EvalSymlinks(root); err == nil {
		root = r
	}
	if d, err := filepath.EvalSymlinks(dir); err == nil {
		dir = d
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	rel = filepath.ToSlash(rel)
	if rel == ".git" || strings.HasPrefix(rel, ".git/") {
		return ""
	}
	return rel
}

// snapshot reads the committed tree at ref. If git repacked behind our back
// (gc), objects move to a new pack that the storage has not indexed yet: the
// read is retried once after re-indexing.
func (l *localRepo) snapshot(ref string, cache *blobCache, verify Verification) (*Snapshot, error) {
	snap, err := l.read(ref, cache, verify)
	if errors.Is(err, plumbing.ErrObjectNotFound) {
		_ = l.storage.Close() // drops open packs, which gc may have deleted
		l.storage.Reindex()
		snap, err = l.read(ref, cache, verify)
	}
	return snap, err
}

func (l *localRepo) read(ref string, cache *blobCache, verify Verification) (*Snapshot, error) {
	res, err := l.resolveTarget(ref)
	if err != nil {
		return nil, err
	}
	signer, err := verify.verifyTarget(l.storage, res.target, res.commit, res.name(ref), res.isTag)
	if err != nil {
		return nil, err
	}
	files, err := cache.files(l.storage, res.commit, l.subPath)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.root, err)
	}
	snap := snapshotOf(res.commit, files)
	snap.ResolvedRef, snap.SignedBy = res.resolvedRef, signer
	return snap, nil
}

// resolved is where a ref led: the object it names (a tag object for an
// annotated tag) and the commit behind it.
type resolved struct {
	target      plumbing.Hash
	commit      *object.Commit
	isTag       bool
	resolvedRef string // the tag a semver range chose
}

// name is how to call the ref in messages.
func (r resolved) name(ref string) string {
	if r.resolvedRef != "" {
		return r.resolvedRef
	}
	return ref
}

// resolve finds the commit a ref names (see resolveTarget).
func (l *localRepo) resolve(ref string) (*object.Commit, error) {
	r, err := l.resolveTarget(ref)
	return r.commit, err
}

// resolveTarget finds what a ref names: HEAD for "" or "HEAD", the highest
// matching tag for a semver range, else a branch, a tag, a remote-tracking
// branch (origin/main), a revision with ~ or ^, then a full or short commit
// hash.
func (l *localRepo) resolveTarget(ref string) (resolved, error) {
	if strings.ContainsAny(ref, "~^") && !strings.HasPrefix(ref, "~") && !strings.HasPrefix(ref, "^") {
		// A revision such as HEAD~1 or main^ (`reconcile diff --base HEAD~1`);
		// a semver range starts with ~ or ^ instead.
		if h, err := l.repo.ResolveRevision(plumbing.Revision(ref)); err == nil {
			c, err := peelToCommit(l.storage, *h, ref)
			return resolved{target: *h, commit: c}, err
		}
	}
	if IsSemverRange(ref) {
		var tags []string
		if iter, err := l.repo.Tags(); err == nil {
			_ = iter.ForEach(func(r *plumbing.Reference) error { tags = append(tags, r.Name().Short()); return nil })
		}
		tag, err := pickSemverTag(ref, tags, l.root)
		if err != nil {
			return resolved{}, err
		}
		r, err := l.resolveTarget(plumbing.NewTagReferenceName(tag).String())
		r.resolvedRef = tag
		return r, err
	}
	peel := func(h plumbing.Hash, isTag bool, what string) (resolved, error) {
		c, err := peelToCommit(l.storage, h, what)
		return resolved{target: h, commit: c, isTag: isTag}, err
	}
	if ref == "" || ref == "HEAD" {
		head, err := l.repo.Reference(plumbing.HEAD, true)
		if err != nil {
			target := "HEAD"
			if sym, err := l.repo.Reference(plumbing.HEAD, false); err == nil && sym.Type() == plumbing.SymbolicReference {
				target = "branch " + sym.Target().Short()
			}
			return resolved{}, fmt.Errorf("%s has no commit at HEAD (%s): commit something first, or set a ref", l.root, target)
		}
		return peel(head.Hash(), false, "HEAD")
	}
	for _, name := range candidateRefs(ref) {
		r, err := l.repo.Reference(name, true)
		if err == nil {
			return peel(r.Hash(), name.IsTag(), ref)
		}
		if !errors.Is(err, plumbing.ErrReferenceNotFound) {
			return resolved{}, fmt.Errorf("reading ref %s in %s: %w", name, l.root, err)
		}
	}
	if hexHash.MatchString(ref) {
		if h, err := l.repo.ResolveRevision(plumbing.Revision(strings.ToLower(ref))); err == nil {
			return peel(*h, false, ref)
		}
	}
	var refs []*plumbing.Reference
	if iter, err := l.repo.References(); err == nil {
		_ = iter.ForEach(func(r *plumbing.Reference) error { refs = append(refs, r); return nil })
	}
	return resolved{}, refNotFound(ref, l.root, refs)
}

// SnapshotAt reads the committed tree at ref of the local repository
// containing repoDir, under path (relative to repoDir's position in the
// repo), without watching or caching. It serves `reconcile diff --base/--head`.
func SnapshotAt(repoDir, ref, path string) (*Snapshot, error) {
	sub, err := cleanSubPath(path)
	if err != nil {
		return nil, err
	}
	l, err := openLocal(repoDir, sub)
	if err != nil {
		return nil, err
	}
	snap, err := l.snapshot(ref, newBlobCache(), Verification{})
	if err != nil {
		return nil, err
	}
	snap.Source = repoDir
	return snap, nil
}
