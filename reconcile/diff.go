package reconcile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// FieldChange is one changed leaf of an object. Old is absent (nil) for an
// added field, New for a removed one. Numbers are json.Number, Secret
// values are Masked.
type FieldChange struct {
	Path string `json:"path"`
	Old  any    `json:"old,omitempty"`
	New  any    `json:"new,omitempty"`
}

// Masked stands for a Secret value in a diff. It says whether the value
// changed, never the value nor a hash of it (a hash of a short password
// gives it away; the live diff asks the controller instead, see
// secrets.Compare).
type Masked string

// The masks: a value set or removed, and a value that changed.
const (
	MaskedValue   Masked = "(value hidden)"
	MaskedChanged Masked = "(value hidden, changed)"
)

// FieldChanges lists the field-level changes of c: the changed fields of
// an update, every field of a created object, nothing for a delete.
func (c Change) FieldChanges() []FieldChange {
	switch c.Action {
	case Update:
		return c.Fields
	case Create:
		var out []FieldChange
		diffTree("", nil, userTree(c.Object, true), &out)
		return maskSecret(c.Key.Kind, out)
	}
	return nil
}

// diffObjects lists the changed user-owned fields from old to new.
func diffObjects(old, new objects.Object) []FieldChange {
	var out []FieldChange
	diffTree("", userTree(old, false), userTree(new, false), &out)
	return maskSecret(objects.KindOf(new), out)
}

// userTree is the JSON tree of what a user writes: no status, and of the
// metadata only labels and annotations (without the commit annotation;
// without the source annotations too when forCreate, as every created
// object has them).
func userTree(o objects.Object, forCreate bool) map[string]any {
	b, err := json.Marshal(o)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var t map[string]any
	if err := dec.Decode(&t); err != nil {
		return map[string]any{"error": err.Error()}
	}
	delete(t, "status")
	delete(t, "apiVersion")
	delete(t, "kind")
	meta := map[string]any{}
	if m, ok := t["metadata"].(map[string]any); ok {
		if l, ok := m["labels"]; ok {
			meta["labels"] = l
		}
		if a, ok := m["annotations"].(map[string]any); ok {
			delete(a, objects.AnnotationCommit)
			if forCreate {
				delete(a, objects.AnnotationSource)
				delete(a, objects.AnnotationSourcePath)
			}
			if len(a) > 0 {
				meta["annotations"] = a
			}
		}
	}
	delete(t, "metadata")
	if len(meta) > 0 {
		t["metadata"] = meta
	}
	return t
}

// diffTree appends the leaf changes between a and b under path. Maps are
// compared by key; lists whose items all have a unique "name" are matched
// by name (as Kubernetes merges containers, env, volumes, ports), other
// lists by index.
func diffTree(path string, a, b any, out *[]FieldChange) {
	switch av := a.(type) {
	case map[string]any:
		if bv, ok := b.(map[string]any); ok {
			for _, k := range unionKeys(av, bv) {
				diffTree(join(path, k), av[k], bv[k], out)
			}
			return
		}
	case []any:
		if bv, ok := b.([]any); ok {
			diffList(path, av, bv, out)
			return
		}
	}
	if !isContainer(a) && !isContainer(b) {
		if a != b { // scalars: string, bool, json.Number or nil
			*out = append(*out, FieldChange{Path: path, Old: a, New: b})
		}
		return
	}
	// Shapes differ or one side is absent: list every leaf of each side.
	leaves(path, a, func(p string, v any) { *out = append(*out, FieldChange{Path: p, Old: v}) })
	leaves(path, b, func(p string, v any) { *out = append(*out, FieldChange{Path: p, New: v}) })
}

func diffList(path string, a, b []any, out *[]FieldChange) {
	an, aok := namedItems(a)
	bn, bok := namedItems(b)
	if aok && bok {
		for _, n := range unionNames(a, b) {
			diffTree(path+"["+n+"]", an[n], bn[n], out)
		}
		return
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		var x, y any
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		diffTree(fmt.Sprintf("%s[%d]", path, i), x, y, out)
	}
}

// leaves calls fn for every leaf under v; empty maps and lists are leaves.
func leaves(path string, v any, fn func(string, any)) {
	switch t := v.(type) {
	case nil:
	case map[string]any:
		if len(t) == 0 {
			fn(path, t)
		}
		keys := slices.Sorted(maps.Keys(t))
		for _, k := range keys {
			leaves(join(path, k), t[k], fn)
		}
	case []any:
		if len(t) == 0 {
			fn(path, t)
		}
		if named, ok := namedItems(t); ok {
			for _, it := range t {
				n := it.(map[string]any)["name"].(string)
				leaves(path+"["+n+"]", named[n], fn)
			}
			return
		}
		for i, it := range t {
			leaves(fmt.Sprintf("%s[%d]", path, i), it, fn)
		}
	default:
		fn(path, v)
	}
}

func isContainer(v any) bool {
	switch v.(type) {
	case map[string]any, []any:
		return true
	}
	return false
}

func namedItems(l []any) (map[string]any, bool) {
	if len(l) == 0 {
		return nil, false
	}
	m := make(map[string]any, len(l))
	for _, it := range l {
		o, ok := it.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := o["name"].(string)
		if !ok || n == "" {
			return nil, false
		}
		if _, dup := m[n]; dup {
			return nil, false
		}
		m[n] = o
	}
	return m, true
}

// unionNames: b's order first (the new order), then names only in a.
func unionNames(a, b []any) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range [][]any{b, a} {
		for _, it := range l {
			n := it.(map[string]any)["name"].(string)
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

func unionKeys(a, b map[string]any) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// join appends a map key to a path: .key for plain keys, ["key"] for keys
// with dots or slashes (labels, annotations, ConfigMap file names).
func join(path, k string) string {
	plain := k != ""
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		q, _ := json.Marshal(k)
		return path + "[" + string(q) + "]"
	case path == "":
		return k
	}
	return path + "." + k
}

// maskSecret replaces the values under a Secret's data and stringData (and
// a last-applied-configuration copy of them) by their masked hash.
func maskSecret(kind string, fs []FieldChange) []FieldChange {
	if kind != "Secret" {
		return fs
	}
	for i, f := range fs {
		if sensitivePath(f.Path) {
			if f.Old != nil {
				fs[i].Old = MaskedValue
			}
			if f.New != nil {
				fs[i].New = MaskedValue
				if f.Old != nil {
					fs[i].New = MaskedChanged
				}
			}
		}
	}
	return fs
}

func sensitivePath(p string) bool {
	for _, pre := range []string{"data", "stringData"} {
		if p == pre || strings.HasPrefix(p, pre+".") || strings.HasPrefix(p, pre+"[") {
			return true
		}
	}
	return strings.HasPrefix(p, "metadata.annotations") && strings.Contains(p, "last-applied-configuration")
}
