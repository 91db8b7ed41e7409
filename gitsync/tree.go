package gitsync

import (
	"github.com/go-git/go-git/v5/plumbing/cache"

	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/reconcile-dev/reconcile/schema"
)

// blobCache keeps the content of the blobs of the last snapshot by hash, so a
// commit that changes one file decompresses one blob. After each snapshot it
// holds exactly that snapshot's blobs, so it never grows beyond one tree.
// The Data slices are shared with the snapshots handed out: callers must
// treat schema.schema.File.Data as read-only.
type blobCache struct {
	entries map[plumbing.Hash]cachedBlob
	// The last listing, returned again (as a copy) when the ref has not moved.
	lastCommit plumbing.Hash
	lastPath   string
	lastFiles  []schema.File
}

type cachedBlob struct {
	data []byte // nil when size > MaxFileSize
	size int64
}

func newBlobCache() *blobCache { return &blobCache{entries: map[plumbing.Hash]cachedBlob{}} }

// storageOptions keep blobs over MaxFileSize on disk (go-git otherwise
// inflates every object it is asked for) and keep a few pack files open:
// without that, go-git reopens the pack file for every object it reads.
var storageOptions = filesystem.Options{LargeObjectThreshold: MaxFileSize, MaxOpenDescriptors: 16}

// objectCacheSize bounds go-git's object cache (96 MiB by default). Objects
// of this size or more are never cached, so large files, read once per
// commit through the blob cache above, do not stay in memory after they
// leave the repository; trees and commits, which go-git reads again and
// again, are small and still cached.
const objectCacheSize = 8 * cache.MiByte

// treeReader turns a git tree into Files, reading each blob at most once.
type treeReader struct {
	st    storer.EncodedObjectStorer
	old   *blobCache
	fresh map[plumbing.Hash]cachedBlob
	files []schema.File
}

// files is readFiles with a shortcut for an unchanged commit: a Watch signal
// that did not move the ref (a tag, a checkout, a poll) costs a copy of the
// file list instead of a tree walk.
func (c *blobCache) files(st storer.EncodedObjectStorer, commit *object.Commit, subPath string) ([]schema.File, error) {
	if c.lastFiles != nil && c.lastCommit == commit.Hash && c.lastPath == subPath {
		return slices.Clone(c.lastFiles), nil
	}
	files, err := readFiles(st, commit, subPath, c)
	if err != nil {
		return nil, err
	}
	c.lastCommit, c.lastPath, c.lastFiles = commit.Hash, subPath, files
	return slices.Clone(files), nil
}

// readFiles lists every blob under subPath of the commit's tree. Paths are
// relative to subPath. A missing subPath is an error naming the commit.
func readFiles(st storer.EncodedObjectStorer, commit *object.Commit, subPath string, cache *blobCache) ([]schema.File, error) {
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("reading the tree of commit %s: %w", commit.Hash, err)
	}
	if subPath != "" {
		sub, err := tree.Tree(subPath)
		if err != nil {
			if errors.Is(err, object.ErrDirectoryNotFound) {
				what := "does not exist"
				if _, ferr := tree.FindEntry(subPath); ferr == nil {
					what = "is a file, not a directory"
				}
				return nil, fmt.Errorf("path %q %s at commit %s: check the source's path (it is relative to the repository root)", subPath, what, commit.Hash.String()[:12])
			}
			return nil, fmt.Errorf("reading path %q at commit %s: %w", subPath, commit.Hash, err)
		}
		tree = sub
	}
	r := &treeReader{st: st, old: cache, fresh: make(map[plumbing.Hash]cachedBlob, len(cache.entries))}
	if err := r.walk(tree, ""); err != nil {
		return nil, err
	}
	// Swap only after a complete read, so a failed read keeps the old cache.
	cache.entries = r.fresh
	slices.SortFunc(r.files, func(a, b schema.File) int { return strings.Compare(a.Path, b.Path) })
	return r.files, nil
}

func (r *treeReader) walk(tree *object.Tree, dir string) error {
	for _, e := range tree.Entries {
		p := path.Join(dir, e.Name)
		switch e.Mode {
		case filemode.Dir:
			sub, err := object.GetTree(r.st, e.Hash)
			if err != nil {
				return fmt.Errorf("reading directory %q (tree %s): %w", p, e.Hash, err)
			}
			if err := r.walk(sub, p); err != nil {
				return err
			}
		case filemode.Submodule:
			// A submodule is a commit of another repo, not content of this one.
		case filemode.Symlink:
			b, err := r.blob(e.Hash, p)
			if err != nil {
				return err
			}
			r.files = append(r.files, schema.File{Path: p, Hash: e.Hash.String(), Size: b.size, SymlinkTarget: string(b.data)})
		case filemode.Regular, filemode.Executable, filemode.Deprecated:
			b, err := r.blob(e.Hash, p)
			if err != nil {
				return err
			}
			r.files = append(r.files, schema.File{Path: p, Hash: e.Hash.String(), Size: b.size, Data: b.data})
		}
	}
	return nil
}

// blob returns a blob's content from the cache or the object storage; blobs
// over MaxFileSize are measured, never read.
func (r *treeReader) blob(h plumbing.Hash, p string) (cachedBlob, error) {
	if b, ok := r.fresh[h]; ok {
		return b, nil
	}
	if b, ok := r.old.entries[h]; ok {
		r.fresh[h] = b
		return b, nil
	}
	b, err := readBlob(r.st, h)
	if err != nil {
		return b, fmt.Errorf("reading file %q (blob %s): %w", p, h, err)
	}
	r.fresh[h] = b
	return b, nil
}

func readBlob(st storer.EncodedObjectStorer, h plumbing.Hash) (cachedBlob, error) {
	// With storageOptions, go-git returns blobs over MaxFileSize (loose or
	// packed, deltas too) as lazy objects: asking for the size reads only
	// the object header.
	obj, err := st.EncodedObject(plumbing.BlobObject, h)
	if err != nil {
		return cachedBlob{}, err
	}
	if obj.Size() > MaxFileSize {
		return cachedBlob{size: obj.Size()}, nil
	}
	rd, err := obj.Reader()
	if err != nil {
		return cachedBlob{}, err
	}
	defer rd.Close()
	data := make([]byte, obj.Size())
	if _, err := io.ReadFull(rd, data); err != nil {
		return cachedBlob{}, err
	}
	return cachedBlob{data: data, size: int64(len(data))}, nil
}
