package reconcile

import (
	"bufio"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// RenderMarkdown writes the plan as a pull-request comment: the summary, a
// table of creates, changes and deletes per kind, then per object a
// collapsed <details> block holding a diff of its fields.
func RenderMarkdown(w io.Writer, plan Plan) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "### reconcile plan")
	if plan.Source != "" {
		fmt.Fprintf(bw, " for source `%s`", plan.Source)
	}
	fmt.Fprintf(bw, "\n\n**%s**\n\n", summary(plan))
	for _, e := range plan.Errors {
		fmt.Fprintf(bw, "> **Error:** %s\n>\n", mdEscape(e.Error()))
	}
	for _, wn := range plan.Warnings {
		fmt.Fprintf(bw, "> **Warning:** %s\n>\n", mdEscape(wn))
	}
	if len(plan.Errors)+len(plan.Warnings) > 0 {
		fmt.Fprintln(bw)
	}
	if len(plan.Changes) > 0 {
		fmt.Fprintln(bw, "| Kind | Create | Change | Delete |")
		fmt.Fprintln(bw, "|------|-------:|-------:|-------:|")
		for _, r := range countsByKind(plan) {
			fmt.Fprintf(bw, "| %s | %d | %d | %d |\n", r.kind, r.n[0], r.n[1], r.n[2])
		}
		fmt.Fprintln(bw)
	}
	for _, a := range plan.Autoscaled {
		fmt.Fprintf(bw, "> **Autoscaled:** `%s` `%s`", a.Key, mdEscape(a.String()))
		if a.Path != "" {
			fmt.Fprintf(bw, " (`%s`)", a.Path)
		}
		fmt.Fprint(bw, "\n>\n")
	}
	if len(plan.Autoscaled) > 0 {
		fmt.Fprintln(bw)
	}
	for _, c := range plan.Changes {
		sign, _ := actionSign(c.Action)
		fmt.Fprintf(bw, "<details><summary><code>%s</code> %s <code>%s</code>", sign, c.Action, html.EscapeString(c.Key.String()))
		if c.Path != "" {
			fmt.Fprintf(bw, " (<code>%s</code>)", html.EscapeString(c.Path))
		}
		fmt.Fprint(bw, "</summary>\n\n```diff\n")
		fs := c.FieldChanges()
		if len(fs) == 0 {
			fmt.Fprintf(bw, "%s %s\n", sign, c.Key)
		}
		for _, f := range fs {
			if f.Old != nil {
				fmt.Fprintf(bw, "- %s: %s\n", f.Path, fenceSafe(value(f.Old)))
			}
			if f.New != nil {
				fmt.Fprintf(bw, "+ %s: %s\n", f.Path, fenceSafe(value(f.New)))
			}
		}
		fmt.Fprint(bw, "```\n\n</details>\n\n")
	}
	return bw.Flush()
}

type kindCounts struct {
	kind string
	n    [3]int // create, update, delete
}

// countsByKind tallies the changes per kind, kinds in apply order.
func countsByKind(p Plan) []kindCounts {
	idx := map[string]int{}
	var out []kindCounts
	for _, c := range p.Changes {
		i, ok := idx[c.Key.Kind]
		if !ok {
			i = len(out)
			idx[c.Key.Kind] = i
			out = append(out, kindCounts{kind: c.Key.Kind})
		}
		switch c.Action {
		case Create:
			out[i].n[0]++
		case Update:
			out[i].n[1]++
		case Delete:
			out[i].n[2]++
		}
	}
	order := func(k string) objects.Key { return objects.Key{Kind: k} }
	for i := 1; i < len(out); i++ { // insertion sort: a handful of kinds
		for j := i; j > 0 && order(out[j].kind).Less(order(out[j-1].kind)); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func mdEscape(s string) string {
	return strings.NewReplacer("<", "&lt;", ">", "&gt;", "|", "\\|").Replace(s)
}

// fenceSafe keeps a value from closing the ``` block it is in.
func fenceSafe(s string) string { return strings.ReplaceAll(s, "```", "`\u200b``") }
