package schema

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// MaxFileSize is the largest manifest file accepted (10 MiB). Larger files
// are rejected without being read, so a stray binary cannot exhaust memory.
const MaxFileSize = 10 << 20

// File is one file of a desired-state tree.
type File struct {
	// Path is slash-separated and relative to the root of the tree.
	Path string
	// Hash is the git blob hash of the content; computed from Data when empty.
	// Validation results are cached by it.
	Hash string
	// Size in bytes; a file over MaxFileSize is rejected and Data may be nil.
	Size int64
	// Data is the content (nil for symlinks and oversized files).
	Data []byte
	// SymlinkTarget is the link's target when the file is a symlink.
	SymlinkTarget string
}

// GitBlobHash returns the hash git gives a blob with this content, so files
// from a working tree share cache entries with the same files from a commit.
func GitBlobHash(data []byte) string {
	h := sha1.New()
	h.Write([]byte("blob " + strconv.Itoa(len(data)) + "\x00"))
	h.Write(data)
	return hex.EncodeToString(h.Sum(nil))
}

// manifestExt tells whether a file is loaded, by its extension.
func manifestExt(p string) bool {
	switch strings.ToLower(path.Ext(p)) {
	case ".yaml", ".yml", ".json", ".cue":
		return true
	}
	return false
}

// ReadDir reads the working tree under dir for `reconcile validate DIR`:
// every regular file and symlink, skipping .git. Files over MaxFileSize are
// listed with their size but not read. Symlinks are not followed; their
// targets are checked by Validate.
func ReadDir(dir string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		f := File{Path: filepath.ToSlash(rel)}
		switch {
		case d.Type()&fs.ModeSymlink != 0:
			t, err := os.Readlink(p)
			if err != nil {
				return err
			}
			f.SymlinkTarget = t
			f.Hash = GitBlobHash([]byte(t))
		case d.Type().IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			f.Size = info.Size()
			if f.Size > MaxFileSize || !manifestExt(f.Path) {
				// Not read: too large to validate, or not a manifest.
				break
			}
			if f.Data, err = os.ReadFile(p); err != nil {
				return err
			}
			f.Size = int64(len(f.Data))
			f.Hash = GitBlobHash(f.Data)
		default:
			return nil // sockets, devices: never manifests
		}
		files = append(files, f)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, nil
}

// symlinkError checks a symlink against the tree: a target that is absolute
// or climbs out of the root is an error; an in-tree link is skipped, since
// its target is loaded under its own path (loading both would duplicate
// every object).
func symlinkError(f File) *Error {
	t := f.SymlinkTarget
	if path.IsAbs(t) || filepath.IsAbs(t) {
		return &Error{Path: f.Path, Line: 1, Col: 1, Message: fmt.Sprintf(
			"symlink to %q leaves the repository; replace the link with the file itself", t)}
	}
	resolved := path.Clean(path.Join(path.Dir(f.Path), t))
	if resolved == ".." || strings.HasPrefix(resolved, "../") {
		return &Error{Path: f.Path, Line: 1, Col: 1, Message: fmt.Sprintf(
			"symlink to %q leaves the repository (resolves to %s); replace the link with the file itself", t, resolved)}
	}
	return nil
}
