package kubeapi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// FieldSelector is a parsed ?fieldSelector= (nil: everything).
type FieldSelector []fields.Requirement

// kindFields are the field labels each kind supports beyond
// metadata.name and metadata.namespace, as Kubernetes' field label
// conversion functions for that kind.
var kindFields = map[string][]string{
	"Pod": {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
		"spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"},
	"Event": {"involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
		"involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath",
		"reason", "reportingComponent", "source", "type"},
	"Secret":    {"type"},
	"Node":      {"spec.unschedulable"},
	"Namespace": {"status.phase"},
}

// ParseFieldSelector reads a field selector for kind; a field the kind
// does not support is refused with Kubernetes' words.
func ParseFieldSelector(s, kind string) (FieldSelector, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	sel, err := fields.ParseSelector(s)
	if err != nil {
		return nil, fmt.Errorf("fieldSelector %q: %v", s, err)
	}
	reqs := sel.Requirements()
	for _, r := range reqs {
		if r.Field != "metadata.name" && r.Field != "metadata.namespace" && !slices.Contains(kindFields[kind], r.Field) {
			return nil, fmt.Errorf("field label not supported: %s (%s supports metadata.name, metadata.namespace%s)",
				r.Field, kind, prefixed(", ", kindFields[kind]))
		}
	}
	return FieldSelector(reqs), nil
}

func prefixed(sep string, xs []string) string {
	if len(xs) == 0 {
		return ""
	}
	return sep + strings.Join(xs, sep)
}

// Matches reports whether o satisfies every requirement.
func (f FieldSelector) Matches(o objects.Object) bool {
	if len(f) == 0 {
		return true
	}
	set := FieldsOf(o)
	for _, r := range f {
		v := set[r.Field]
		switch r.Operator {
		case selection.Equals, selection.DoubleEquals:
			if v != r.Value {
				return false
			}
		case selection.NotEquals:
			if v == r.Value {
				return false
			}
		}
	}
	return true
}

// FieldsOf is the field set Kubernetes selects on for o's kind.
func FieldsOf(o objects.Object) fields.Set {
	set := fields.Set{"metadata.name": o.GetName(), "metadata.namespace": o.GetNamespace()}
	switch x := o.(type) {
	case *corev1.Pod:
		set["spec.nodeName"] = x.Spec.NodeName
		set["spec.restartPolicy"] = string(x.Spec.RestartPolicy)
		set["spec.schedulerName"] = x.Spec.SchedulerName
		set["spec.serviceAccountName"] = x.Spec.ServiceAccountName
		set["spec.hostNetwork"] = strconv.FormatBool(x.Spec.HostNetwork)
		set["status.phase"] = string(x.Status.Phase)
		set["status.podIP"] = x.Status.PodIP
		set["status.nominatedNodeName"] = x.Status.NominatedNodeName
	case *corev1.Event:
		io := x.InvolvedObject
		set["involvedObject.kind"], set["involvedObject.namespace"], set["involvedObject.name"] = io.Kind, io.Namespace, io.Name
		set["involvedObject.uid"], set["involvedObject.apiVersion"] = string(io.UID), io.APIVersion
		set["involvedObject.resourceVersion"], set["involvedObject.fieldPath"] = io.ResourceVersion, io.FieldPath
		set["reason"], set["reportingComponent"], set["source"], set["type"] = x.Reason, x.ReportingController, x.Source.Component, x.Type
	case *corev1.Secret:
		set["type"] = string(x.Type)
	case *corev1.Node:
		set["spec.unschedulable"] = strconv.FormatBool(x.Spec.Unschedulable)
	case *corev1.Namespace:
		set["status.phase"] = string(x.Status.Phase)
	}
	return set
}

// Selects reports whether o passes the options' label and field selectors.
func (o ListOptions) Selects(obj objects.Object) bool {
	if o.Labels != nil && !o.Labels.Empty() && !o.Labels.Matches(labels.Set(obj.GetLabels())) {
		return false
	}
	return o.Fields.Matches(obj)
}

// Page filters items (which it sorts by namespace and name) by the
// selectors and cuts the page the limit and continue token ask for; next
// is the token of the following page, "" on the last. rv is the store's
// resourceVersion of this list, carried by the token so every page
// answers the first page's.
func (o ListOptions) Page(items []objects.Object, rv uint64) (page []objects.Object, next string, listRV uint64) {
	listRV = rv
	start := 0
	slices.SortFunc(items, compareKeys)
	if o.Continue != nil {
		listRV = o.Continue.ResourceVersion
		ns, name, _ := strings.Cut(o.Continue.After, "\x00")
		// The first object after the previous page's last key.
		start, _ = slices.BinarySearchFunc(items, [2]string{ns, name}, func(it objects.Object, k [2]string) int {
			if c := strings.Compare(it.GetNamespace(), k[0]); c != 0 {
				return c
			}
			if c := strings.Compare(it.GetName(), k[1]); c != 0 {
				return c
			}
			return -1 // the key itself was on the previous page
		})
	}
	for _, it := range items[start:] {
		if !o.Selects(it) {
			continue
		}
		if o.Limit > 0 && int64(len(page)) == o.Limit {
			last := page[len(page)-1]
			return page, ContinueToken{ResourceVersion: listRV, After: last.GetNamespace() + "\x00" + last.GetName()}.Encode(), listRV
		}
		page = append(page, it)
	}
	return page, "", listRV
}

// compareKeys orders objects as Kubernetes lists them: by namespace, then
// name.
func compareKeys(a, b objects.Object) int {
	if c := strings.Compare(a.GetNamespace(), b.GetNamespace()); c != 0 {
		return c
	}
	return strings.Compare(a.GetName(), b.GetName())
}
