package agent

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// A volume the agent writes (configMap, secret, downwardAPI, projected) is
// laid out as the kubelet's AtomicWriter lays it out, so a running
// container sees an update all at once and never a half-written file:
//
//	<dir>/..2026_12_07_11_30_00.123456789/<files>   the payload of one update
//	<dir>/..data -> ..2026_12_07_11_30_00.123456789 swapped with one rename
//	<dir>/<top> -> ..data/<top>                     one link per top-level name
//
// An update writes a new timestamped directory, renames a new ..data link
// over the old one, then adds and removes the top-level links and deletes
// the old directory. A subPath mount binds the file itself (resolved
// through the links), so it keeps the content it had, as in Kubernetes.

const dataLink = "..data"

// projectionPlan is what one update does to a volume's directory.
type projectionPlan struct {
	Write       bool     // write the payload to a new timestamped directory and swap ..data
	AddLinks    []string // top-level names to (re)link to ..data/<name>
	RemoveLinks []string // top-level names that are no longer in the payload
}

func (p projectionPlan) empty() bool {
	return !p.Write && len(p.AddLinks) == 0 && len(p.RemoveLinks) == 0
}

// observedProjection is what a volume's directory holds now: the files
// under ..data (nil when there is no ..data yet) and each top-level name
// but the ".." ones, true when it is the right link to ..data/<name>.
type observedProjection struct {
	Written payload
	Links   map[string]bool
}

// planProjection decides the writes that make a volume's directory hold
// desired. Pure: it compares values only. A path that is absolute, has a
// ".." element or starts with ".." is refused, as the kubelet refuses it.
func planProjection(desired payload, have observedProjection) (projectionPlan, error) {
	var plan projectionPlan
	tops := map[string]bool{}
	for p := range desired {
		if err := checkPayloadPath(p); err != nil {
			return projectionPlan{}, err
		}
		top, _, _ := strings.Cut(p, "/")
		tops[top] = true
	}
	plan.Write = have.Written == nil || !samePayload(desired, have.Written)
	for _, top := range slices.Sorted(maps.Keys(tops)) {
		if !have.Links[top] {
			plan.AddLinks = append(plan.AddLinks, top)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(have.Links)) {
		if !tops[name] {
			plan.RemoveLinks = append(plan.RemoveLinks, name)
		}
	}
	return plan, nil
}

func samePayload(a, b payload) bool {
	if len(a) != len(b) {
		return false
	}
	for p, f := range a {
		g, ok := b[p]
		if !ok || g.Mode != f.Mode || !bytes.Equal(g.Data, f.Data) {
			return false
		}
	}
	return true
}

func checkPayloadPath(p string) error {
	switch {
	case p == "" || p == ".":
		return configErrorf("file path %q of the volume names no file", p)
	case path.IsAbs(p):
		return configErrorf("file path %q of the volume must be relative", p)
	case strings.HasPrefix(p, ".."):
		return configErrorf("file path %q of the volume must not start with '..'", p)
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return configErrorf("file path %q of the volume must not contain '..'", p)
		}
	}
	if path.Clean(p) != p { // "." elements, "//" or a trailing "/" would name the volume's root or a link twice
		return configErrorf("file path %q of the volume must be a clean relative path (write %q)", p, path.Clean(p))
	}
	return nil
}

// projectionWriter reads and updates a volume's directory; atomicWriter is
// the real one.
type projectionWriter interface {
	Observe(dir string) (observedProjection, error)
	Apply(dir string, plan projectionPlan, desired payload) error
}

// atomicWriter works on the node's filesystem.
type atomicWriter struct{}

func (atomicWriter) Observe(dir string) (observedProjection, error) {
	have := observedProjection{Links: map[string]bool{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return have, err
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, "..") {
			continue
		}
		target, err := os.Readlink(filepath.Join(dir, name))
		have.Links[name] = err == nil && target == dataLink+"/"+name
	}
	target, err := os.Readlink(filepath.Join(dir, dataLink))
	if os.IsNotExist(err) {
		return have, nil
	}
	if err != nil {
		return have, err
	}
	have.Written = payload{}
	root := filepath.Join(dir, target)
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		have.Written[filepath.ToSlash(rel)] = projectedFile{b, fi.Mode().Perm()}
		return nil
	})
	return have, err
}

func (atomicWriter) Apply(dir string, plan projectionPlan, desired payload) error {
	if plan.Write {
		if err := swapData(dir, desired); err != nil {
			return err
		}
	}
	for _, name := range plan.AddLinks {
		if err := replaceWithLink(dir, name); err != nil {
			return err
		}
	}
	for _, name := range plan.RemoveLinks {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

// swapData writes desired into a new timestamped directory, points ..data
// at it with one rename, and deletes the directory it pointed at before.
func swapData(dir string, desired payload) error {
	ts, err := os.MkdirTemp(dir, ".."+nowStamp()+".")
	if err != nil {
		return err
	}
	if err := os.Chmod(ts, 0o755); err != nil {
		return err
	}
	for _, p := range slices.Sorted(maps.Keys(desired)) {
		f := desired[p]
		full := filepath.Join(ts, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(full, f.Data, f.Mode); err != nil {
			return err
		}
		if err := os.Chmod(full, f.Mode); err != nil { // WriteFile's mode is filtered by the umask
			return err
		}
	}
	tmp := filepath.Join(dir, dataLink+"_tmp")
	os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, dataLink)); err != nil {
		return fmt.Errorf("swapping %s: %w", dataLink, err)
	}
	// The old directory, and any an interrupted update left behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && strings.HasPrefix(n, "..") && n != filepath.Base(ts) {
			if err := os.RemoveAll(filepath.Join(dir, n)); err != nil {
				return err
			}
		}
	}
	return nil
}

// nowStamp names a payload directory after the time it was written, as the
// kubelet does (a random suffix follows).
func nowStamp() string { return time.Now().UTC().Format("2006_01_02_15_04_05") }

// replaceWithLink makes <dir>/<name> the link ..data/<name>, replacing what
// is there (a file of the layout before links, or a wrong link) in one
// rename when it can.
func replaceWithLink(dir, name string) error {
	tmp := filepath.Join(dir, ".."+name+"_tmp")
	os.Remove(tmp)
	if err := os.Symlink(dataLink+"/"+name, tmp); err != nil {
		return err
	}
	dst := filepath.Join(dir, name)
	if err := os.Rename(tmp, dst); err != nil { // a directory is not replaced by a rename
		if err := os.RemoveAll(dst); err != nil {
			return err
		}
		return os.Rename(tmp, dst)
	}
	return nil
}

// writeProjection makes dir hold exactly desired through w, and says
// whether anything changed.
func writeProjection(w projectionWriter, dir string, desired payload) (bool, error) {
	have, err := w.Observe(dir)
	if err != nil {
		return false, err
	}
	plan, err := planProjection(desired, have)
	if err != nil || plan.empty() {
		return false, err
	}
	return true, w.Apply(dir, plan, desired)
}
