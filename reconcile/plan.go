package reconcile

import (
	"fmt"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Desired is one validated object of a commit and the file it came from.
type Desired struct {
	Object objects.Object
	Path   string
	// Line and Col locate the object in its file (schema.Manifest), for
	// errors about it; zero when unknown.
	Line, Col int
}

// PlanOptions say whose objects the plan manages and what it may delete.
type PlanOptions struct {
	// Source is the name of the git source; desired objects are stamped
	// with it and only stored objects carrying it are ever pruned. Empty:
	// nothing is stamped or pruned.
	Source string
	// Commit is stamped on objects the plan creates or changes.
	Commit string
	// Prune deletes this source's stored objects that are no longer desired.
	Prune bool
	// AllowEmpty lets a commit with zero objects prune; without it such a
	// commit (an emptied or mis-pointed path) prunes nothing.
	AllowEmpty bool
}

// Action is what a change does to one object.
type Action string

const (
	Create Action = "create"
	Update Action = "update"
	Delete Action = "delete"
)

// Change is the plan for one object.
type Change struct {
	Action Action
	Key    objects.Key
	// Path is the file the desired object came from (empty for deletes of
	// objects whose file is gone: see Old's source-path annotation).
	Path string
	// Object is the object as it will be written (create, update); Old is
	// the stored object (update, delete). Both may hold Secret values:
	// renderers use Fields, never these.
	Object objects.Object
	Old    objects.Object
	// Fields are the field-level changes of an update, Secret values
	// masked. For creates use FieldChanges, which lists the new object.
	Fields []FieldChange
}

// PlanError is a desired object the plan refuses to touch.
type PlanError struct {
	Key     objects.Key `json:"key"`
	Path    string      `json:"path,omitempty"`
	Line    int         `json:"line,omitempty"`
	Col     int         `json:"col,omitempty"`
	Message string      `json:"message"`
}

func (e PlanError) Error() string {
	switch {
	case e.Path == "":
		return e.Key.String() + ": " + e.Message
	case e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s: %s", e.Path, e.Line, e.Col, e.Key, e.Message)
	}
	return e.Path + ": " + e.Key.String() + ": " + e.Message
}

// Plan is the result of planning one commit of one source.
type Plan struct {
	Source  string
	Changes []Change // in apply order; deletes last
	// Unchanged counts desired objects already stored as desired.
	Unchanged int
	Errors    []PlanError
	// Warnings explain what the plan deliberately did not do.
	Warnings []string
	// Autoscaled are fields kept at their live value because an
	// autoscaler owns them (autoscaled.go), where git says otherwise.
	Autoscaled []Autoscaled
}

// Counts returns how many objects the plan creates, updates and deletes.
func (p Plan) Counts() (create, update, del int) {
	for _, c := range p.Changes {
		switch c.Action {
		case Create:
			create++
		case Update:
			update++
		case Delete:
			del++
		}
	}
	return
}

// Stamp returns the objects of desired as this source would store them
// (copies with the source and source-path annotations), e.g. to stand for
// the stored state of a base commit in an offline diff.
func Stamp(desired []Desired, source string) []objects.Object {
	out := make([]objects.Object, 0, len(desired))
	for _, d := range desired {
		out = append(out, stamped(d.Object, source, d.Path, ""))
	}
	return out
}

// PlanChanges compares the desired objects of one commit with the stored
// objects and returns what to create, update and delete. It is pure.
//
// Ownership: a stored object carrying another source's annotation, or
// created by a controller (a controller ownerReference), is never touched;
// desiring it is a PlanError. A stored object with neither is adopted.
// Only the fields a user writes are compared: labels, annotations (except
// the commit annotation and system annotations the user did not write) and
// everything outside metadata and status. System-assigned spec fields the
// manifest leaves empty (a Pod's nodeName, a Service's clusterIP and
// nodePorts) keep their stored values.
func PlanChanges(desired []Desired, stored []objects.Object, opts PlanOptions) Plan {
	return plan(desired, stored, opts, nil)
}

// plan is PlanChanges; with a memo it skips comparisons whose outcome the
// memo knows (see Planner), and records new verdicts.
func plan(desired []Desired, stored []objects.Object, opts PlanOptions, m *memo) Plan {
	p := Plan{Source: opts.Source}
	index := m.storedIndex(len(stored))
	for i, s := range stored {
		index[keyOf(s)] = i
	}
	// wantedBy[i] is 1 + the index of the desired object that is stored[i]
	// (0: not desired); indexes instead of a second map keep a plan of
	// 10,000 unchanged objects at one map lookup per object.
	wantedBy := make([]int, len(stored))
	var creates map[objects.Key]string // paths of desired objects not stored, for duplicates
	autoscaled := autoscaledTargets(desired, stored, opts)
	m.start()
	for di, d := range desired {
		key := keyOf(d.Object)
		i, ok := index[key]
		if !ok {
			if prev, dup := creates[key]; dup {
				p.Errors = append(p.Errors, duplicate(key, d.Path, prev))
				continue
			}
			if creates == nil {
				creates = map[objects.Key]string{}
			}
			creates[key] = d.Path
			p.Changes = append(p.Changes, Change{Action: Create, Key: key, Path: d.Path, Object: stamped(d.Object, opts.Source, d.Path, opts.Commit)})
			continue
		}
		if prev := wantedBy[i]; prev != 0 {
			p.Errors = append(p.Errors, duplicate(key, d.Path, desired[prev-1].Path))
			continue
		}
		wantedBy[i] = di + 1
		s := stored[i]
		if owner, ok := autoscaled[key]; ok {
			var note *Autoscaled
			if d, note = keepAutoscaled(d, s, owner); note != nil {
				p.Autoscaled = append(p.Autoscaled, *note)
			}
		}
		if m.unchanged(d, s) {
			p.Unchanged++
			continue
		}
		if msg := ownedElsewhere(s, opts.Source); msg != "" {
			p.Errors = append(p.Errors, PlanError{Key: key, Path: d.Path, Message: msg})
			continue
		}
		// Metadata is cheap to compare; the spec only when the memo does
		// not already know it is the same.
		if sameMeta(d.Object, s, opts.Source, d.Path) && m.sameSpec(d, s) {
			m.remember(d, s, true)
			p.Unchanged++
			continue
		}
		want := withSystemFields(d.Object, s)
		if sameSpec(want, s) {
			same := sameMeta(want, s, opts.Source, d.Path)
			m.remember(d, s, same)
			if same {
				p.Unchanged++
				continue
			}
		}
		next := merged(want, s, opts.Source, d.Path, opts.Commit)
		fields := diffObjects(s, next)
		if len(fields) == 0 { // different only in ways JSON cannot show
			p.Unchanged++
			continue
		}
		p.Changes = append(p.Changes, Change{Action: Update, Key: key, Path: d.Path, Object: next, Old: s, Fields: fields})
	}
	m.sweep()
	// Keys of changes are unique (duplicates are errors), so an unstable
	// sort is deterministic; desired objects often come in key order.
	byApplyOrder := func(a, b Change) int {
		if a.Key.Less(b.Key) {
			return -1
		}
		if b.Key.Less(a.Key) {
			return 1
		}
		return 0
	}
	if !slices.IsSortedFunc(p.Changes, byApplyOrder) {
		slices.SortFunc(p.Changes, byApplyOrder)
	}
	p.Changes = append(p.Changes, prunes(len(desired), stored, wantedBy, opts, &p)...)
	admitPods(&p, desired, stored)     // priority.go
	admitQuota(&p, desired, stored, m) // quota.go: LimitRanger and ResourceQuota
	return p
}

func duplicate(key objects.Key, path, prev string) PlanError {
	return PlanError{Key: key, Path: path, Message: fmt.Sprintf("defined twice (also in %s): keep one", prev)}
}

// keyOf is objects.KeyOf without parsing the apiVersion: typed objects
// keep their kind in TypeMeta.
func keyOf(o objects.Object) objects.Key {
	if tm, ok := o.GetObjectKind().(*metav1.TypeMeta); ok && tm.Kind != "" {
		return objects.Key{Kind: tm.Kind, Namespace: o.GetNamespace(), Name: o.GetName()}
	}
	return objects.KeyOf(o)
}

// prunes lists the deletes: this source's stored objects that are no
// longer desired, workloads before the namespaces and config they use.
func prunes(desired int, stored []objects.Object, wantedBy []int, opts PlanOptions, p *Plan) []Change {
	if opts.Source == "" {
		return nil
	}
	var dels []Change
	for i, s := range stored {
		if wantedBy[i] != 0 || s.GetAnnotations()[objects.AnnotationSource] != opts.Source {
			continue
		}
		if s.GetDeletionTimestamp() != nil {
			continue // already terminating (a pod pruned gracefully): deleting again changes nothing
		}
		dels = append(dels, Change{Action: Delete, Key: keyOf(s), Path: s.GetAnnotations()[objects.AnnotationSourcePath], Old: s})
	}
	switch {
	case len(dels) == 0:
		return nil
	case !opts.Prune:
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d object(s) of source %q are no longer in git but pruning is off: they are kept", len(dels), opts.Source))
		return nil
	case desired == 0 && !opts.AllowEmpty:
		p.Warnings = append(p.Warnings, fmt.Sprintf("the commit has no objects: nothing pruned, the %d object(s) of source %q are kept (allow empty commits on the source to prune them)", len(dels), opts.Source))
		return nil
	}
	sort.Slice(dels, func(i, j int) bool { return dels[j].Key.Less(dels[i].Key) })
	return dels
}

// ownedElsewhere says why a stored object may not be managed by source.
func ownedElsewhere(s objects.Object, source string) string {
	if owner := s.GetAnnotations()[objects.AnnotationSource]; owner != "" && owner != source {
		return fmt.Sprintf("is managed by source %q; remove it from one of the two sources", owner)
	}
	if s.GetAnnotations()[objects.AnnotationSource] == "" {
		for _, r := range s.GetOwnerReferences() {
			if r.Controller != nil && *r.Controller {
				return fmt.Sprintf("was created by %s %s (a controller); give the manifest another name", r.Kind, r.Name)
			}
		}
	}
	return ""
}
