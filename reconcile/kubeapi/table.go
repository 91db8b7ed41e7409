package kubeapi

import (
	"encoding/json"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// WantsTable reports whether an Accept header asks for the Table format
// (`kubectl get` sends application/json;as=Table;v=v1;g=meta.k8s.io, with
// v1beta1 and plain JSON as fallbacks).
func WantsTable(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		params := map[string]string{}
		fields := strings.Split(part, ";")
		for _, f := range fields[1:] {
			k, v, _ := strings.Cut(strings.TrimSpace(f), "=")
			params[k] = v
		}
		if params["as"] == "Table" && params["g"] == "meta.k8s.io" && (params["v"] == "v1" || params["v"] == "v1beta1") {
			return true
		}
	}
	return false
}

// RowFunc renders one object's header and cells, with the -o wide columns
// when wide: reconcile/tables.Row, the CLI's columns (passed in, so this
// package and the authorizer that reads paths with it stay free of the
// controllers the tables import).
type RowFunc func(o objects.Object, wide bool) (header, cols []string)

// ToTable renders items of kind as a meta.k8s.io/v1 Table with the columns
// of row (reconcile/tables.Row, the CLI's): the -o wide ones at priority 1, which
// kubectl shows with -o wide only. An empty list still has the kind's
// columns. Rows carry the object as include asks (None, Metadata, Object),
// converted to group's version (Convert).
func ToTable(row RowFunc, kind, group string, items []objects.Object, include string) *metav1.Table {
	t := &metav1.Table{TypeMeta: metav1.TypeMeta{Kind: "Table", APIVersion: "meta.k8s.io/v1"}, Rows: []metav1.TableRow{}}
	sample := objects.Object(nil)
	if len(items) > 0 {
		sample = items[0]
	} else if o, err := objects.New(kind); err == nil {
		sample = o
	}
	if sample == nil {
		return t
	}
	narrow, _ := row(sample, false)
	wide, _ := row(sample, true)
	for _, h := range wide {
		c := metav1.TableColumnDefinition{Name: columnName(h), Type: "string", Description: columnDescription(h)}
		if h == "NAME" {
			c.Format = "name"
		}
		if !slices.Contains(narrow, h) {
			c.Priority = 1 // an -o wide column
		}
		t.ColumnDefinitions = append(t.ColumnDefinitions, c)
	}
	for _, o := range items {
		_, cols := row(o, true)
		tr := metav1.TableRow{Cells: make([]any, len(t.ColumnDefinitions))}
		for i := range tr.Cells {
			tr.Cells[i] = ""
			if i < len(cols) {
				tr.Cells[i] = cols[i]
			}
		}
		tr.Object = rowObject(o, group, include)
		t.Rows = append(t.Rows, tr)
	}
	return t
}

// columnName is a header as Kubernetes names columns (Name, Ready,
// Up-to-date); kubectl prints them upper-cased.
func columnName(h string) string {
	words := strings.Fields(strings.ToLower(h))
	for i, w := range words {
		switch w {
		case "ip", "cpu", "cidr", "pod-cidr", "internal-ip", "external-ip":
			words[i] = strings.ToUpper(w)
		default:
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

func columnDescription(h string) string {
	switch h {
	case "NAME":
		return metav1.ObjectMeta{}.SwaggerDoc()["name"]
	case "AGE":
		return metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]
	}
	return "reconcile's " + h + " column (as `reconcile get` shows it)"
}

func rowObject(o objects.Object, group, include string) runtime.RawExtension {
	var v any
	switch include {
	case IncludeNone:
		return runtime.RawExtension{}
	case IncludeObject:
		v = Convert(o, group)
	default:
		m := metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "PartialObjectMetadata", APIVersion: "meta.k8s.io/v1"}}
		m.ObjectMeta = *objectMeta(o)
		v = m
	}
	b, _ := json.Marshal(v)
	return runtime.RawExtension{Raw: b}
}

// objectMeta copies o's metadata without managed fields.
func objectMeta(o objects.Object) *metav1.ObjectMeta {
	acc, ok := o.(metav1.ObjectMetaAccessor)
	if !ok {
		return &metav1.ObjectMeta{Name: o.GetName(), Namespace: o.GetNamespace()}
	}
	m := acc.GetObjectMeta().(*metav1.ObjectMeta).DeepCopy()
	m.ManagedFields = nil
	return m
}
