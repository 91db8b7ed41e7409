package tables

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ResourceName is kubectl's name of an object in `get all`: pod/web-1,
// deployment.apps/web (the kind, lower-case, with its API group).
func ResourceName(o objects.Object) string {
	kind := objects.KindOf(o)
	name := strings.ToLower(kind)
	if k, ok := objects.Info(kind); ok {
		if g, _, found := strings.Cut(k.APIVersion, "/"); found {
			name += "." + g
		}
	}
	return name + "/" + o.GetName()
}

// PrintKinds writes one table per kind of groups, as `kubectl get all`:
// names as ResourceName, a blank line between tables, empty kinds left
// out. It reports whether it wrote anything.
func PrintKinds(w io.Writer, groups [][]objects.Object, wide, withNS bool) (bool, error) {
	wrote := false
	for _, items := range groups {
		if len(items) == 0 {
			continue
		}
		if wrote {
			fmt.Fprintln(w)
		}
		tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
		for i, o := range items {
			h, c := row(o, wide)
			c[0] = ResourceName(o)
			if withNS {
				h, c = append([]string{"NAMESPACE"}, h...), append([]string{o.GetNamespace()}, c...)
			}
			if i == 0 {
				fmt.Fprintln(tw, strings.Join(h, "\t"))
			}
			fmt.Fprintln(tw, strings.Join(c, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return wrote, err
		}
		wrote = true
	}
	return wrote, nil
}

// PrintRow writes one object's row without a header: a change that `get
// -w` prints under the table, as kubectl does.
func PrintRow(w io.Writer, o objects.Object, wide, withNS bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	_, c := row(o, wide)
	if withNS {
		c = append([]string{o.GetNamespace()}, c...)
	}
	fmt.Fprintln(tw, strings.Join(c, "\t"))
	return tw.Flush()
}
