package webui

import (
	"regexp"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ObjectView is the object page's data: the live object (Secret values
// masked by the caller), its health, its owners up to the object that came
// from git, its events, and that object's file in git.
type ObjectView struct {
	Item
	Object objects.Object `json:"object"`
	// Owners go from the direct owner up to the root.
	Owners []Item `json:"owners"`
	// Events involving the object, newest last (as kubectl describe).
	Events []EventView `json:"events"`
	// Manifest is the git file of the object or of the root it belongs to.
	Manifest *Manifest `json:"manifest,omitempty"`
	// Containers name the pod's containers (the log viewer's choices).
	Containers []string `json:"containers,omitempty"`
}

// EventView is one event line.
type EventView struct {
	Type    string    `json:"type"`
	Reason  string    `json:"reason"`
	Message string    `json:"message"`
	Count   int32     `json:"count"`
	Last    time.Time `json:"last,omitzero"`
	Source  string    `json:"source,omitempty"`
}

// Manifest is a file of a source at a commit: the desired state beside the
// live object.
type Manifest struct {
	// Of is the object the file declares (the object itself, or the root
	// it was created for: a pod's Deployment).
	Of     Item   `json:"of"`
	Source string `json:"source"`
	Commit string `json:"commit"`
	Path   string `json:"path"`
	Text   string `json:"text,omitempty"`
	// Error says why the text is not shown (a Secret, an unreadable commit).
	Error string `json:"error,omitempty"`
}

// BuildObject assembles the object page of o from the objects of its
// namespace (and the cluster-scoped ones) and the events of its namespace.
// The manifest's Text is left for the caller to read from git.
func BuildObject(o objects.Object, all []objects.Object, events []objects.Object) ObjectView {
	st, msg := controllers.Health(o)
	l := index(all)
	v := ObjectView{
		Item:   Item{Kind: objects.KindOf(o), Namespace: o.GetNamespace(), Name: o.GetName(), Health: string(st), Message: msg},
		Object: o, Owners: []Item{}, Events: []EventView{},
	}
	origin := o
	for cur, depth := o, 0; depth < 16; depth++ {
		var up objects.Object
		for _, uid := range owners(cur) {
			if up = l.byUID[uid]; up != nil {
				break
			}
		}
		if up == nil && objects.KindOf(cur) == "Endpoints" {
			up = l.byKey[objects.Key{Kind: "Service", Namespace: cur.GetNamespace(), Name: cur.GetName()}]
		}
		if up == nil {
			break
		}
		ust, umsg := controllers.Health(up)
		v.Owners = append(v.Owners, Item{Kind: objects.KindOf(up), Namespace: up.GetNamespace(), Name: up.GetName(), Health: string(ust), Message: umsg})
		cur = up
		if origin.GetAnnotations()[objects.AnnotationSourcePath] == "" {
			origin = up
		}
	}
	a := origin.GetAnnotations()
	if a[objects.AnnotationSource] != "" && a[objects.AnnotationSourcePath] != "" {
		v.Source = a[objects.AnnotationSource]
		v.Manifest = &Manifest{
			Of:     Item{Kind: objects.KindOf(origin), Namespace: origin.GetNamespace(), Name: origin.GetName()},
			Source: a[objects.AnnotationSource], Commit: a[objects.AnnotationCommit], Path: a[objects.AnnotationSourcePath],
		}
		if objects.KindOf(origin) == "Secret" {
			v.Manifest.Error = "a Secret's file is not shown: Secret values never appear in the UI"
		}
	}
	v.Events = eventsFor(o, events)
	if p, ok := o.(*corev1.Pod); ok {
		for _, c := range p.Spec.InitContainers {
			v.Containers = append(v.Containers, c.Name)
		}
		for _, c := range p.Spec.Containers {
			v.Containers = append(v.Containers, c.Name)
		}
	}
	return v
}

// eventsFor picks the events whose involvedObject is o (by uid when the
// event has one, else by kind and name), oldest first.
func eventsFor(o objects.Object, events []objects.Object) []EventView {
	out := []EventView{}
	kind := objects.KindOf(o)
	for _, e := range events {
		ev, ok := e.(*corev1.Event)
		if !ok {
			continue
		}
		io := ev.InvolvedObject
		if io.UID != "" && o.GetUID() != "" {
			if io.UID != o.GetUID() {
				continue
			}
		} else if io.Kind != kind || io.Name != o.GetName() || io.Namespace != o.GetNamespace() {
			continue
		}
		last := ev.LastTimestamp.Time
		if last.IsZero() {
			last = ev.EventTime.Time
		}
		if last.IsZero() {
			last = ev.CreationTimestamp.Time
		}
		src := ev.Source.Component
		if ev.Source.Host != "" {
			src += ", " + ev.Source.Host
		}
		out = append(out, EventView{Type: ev.Type, Reason: ev.Reason, Message: ev.Message, Count: max(ev.Count, 1), Last: last, Source: src})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Last.Before(out[j].Last) })
	return out
}

// secretKind matches a document declaring a Secret in YAML, JSON or CUE
// (kind: Secret, "kind": "Secret"), also in a file that declares other
// objects before it.
var secretKind = regexp.MustCompile(`(?m)["']?\bkind["']?\s*:\s*["']?Secret["']?\s*(,|$|})`)

// DeclaresSecret reports whether a file from git declares a Secret
// anywhere in it: such a file is not shown, whichever of its objects is
// asked for, since its text may hold the Secret's values (a stringData
// left in plain text). A false alarm only hides a file.
func DeclaresSecret(text []byte) bool { return secretKind.Match(text) }
