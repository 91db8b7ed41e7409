package reconcile

import (
	"fmt"
	"sort"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Desired is one validated object of a commit and the file it came from.
type Desired struct {
	Object objects.Object
	Path   string
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
	Message string      `json:"message"`
}

func (e PlanError) Error() string {
	if e.Path == "" {
		return e.Key.String() + ": " + e.Message
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
	p := Plan{Source: opts.Source}
	byKey := make(map[objects.Key]objects.Object, len(stored))
	for _, s := range stored {
		byKey[objects.KeyOf(s)] = s
	}
	seen := make(map[objects.Key]string, len(desired))
	for _, d := range desired {
		key := objects.KeyOf(d.Object)
		if prev, dup := seen[key]; dup {
			p.Errors = append(p.Errors, PlanError{Key: key, Path: d.Path, Message: fmt.Sprintf("defined twice (also in %s): keep one", prev)})
			continue
		}
		seen[key] = d.Path
		s, ok := byKey[key]
		if !ok {
			p.Changes = append(p.Changes, Change{Action: Create, Key: key, Path: d.Path, Object: stamped(d.Object, opts.Source, d.Path, opts.Commit)})
			continue
		}
		if msg := ownedElsewhere(s, opts.Source); msg != "" {
			p.Errors = append(p.Errors, PlanError{Key: key, Path: d.Path, Message: msg})
			continue
		}
		want := withSystemFields(d.Object, s)
		if sameUserFields(want, s, opts.Source, d.Path) {
			p.Unchanged++
			continue
		}
		next := merged(want, s, opts.Source, d.Path, opts.Commit)
		fields := diffObjects(s, next)
		if len(fields) == 0 { // different only in ways JSON cannot show
			p.Unchanged++
			continue
		}
		p.Changes = append(p.Changes, Change{Action: Update, Key: key, Path: d.Path, Object: next, Old: s, Fields: fields})
	}
	sort.SliceStable(p.Changes, func(i, j int) bool { return p.Changes[i].Key.Less(p.Changes[j].Key) })
	p.Changes = append(p.Changes, prunes(desired, stored, seen, opts, &p)...)
	return p
}

// prunes lists the deletes: this source's stored objects that are no
// longer desired, workloads before the namespaces and config they use.
func prunes(desired []Desired, stored []objects.Object, seen map[objects.Key]string, opts PlanOptions, p *Plan) []Change {
	if opts.Source == "" {
		return nil
	}
	var dels []Change
	for _, s := range stored {
		key := objects.KeyOf(s)
		if _, want := seen[key]; want || s.GetAnnotations()[objects.AnnotationSource] != opts.Source {
			continue
		}
		dels = append(dels, Change{Action: Delete, Key: key, Path: s.GetAnnotations()[objects.AnnotationSourcePath], Old: s})
	}
	switch {
	case len(dels) == 0:
		return nil
	case !opts.Prune:
		p.Warnings = append(p.Warnings, fmt.Sprintf("%d object(s) of source %q are no longer in git but pruning is off: they are kept", len(dels), opts.Source))
		return nil
	case len(desired) == 0 && !opts.AllowEmpty:
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
