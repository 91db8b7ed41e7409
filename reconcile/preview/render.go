package preview

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
)

// RenderText writes the preview after a plan, one line per workload.
func RenderText(w io.Writer, ws []Workload) error {
	if len(ws) == 0 {
		_, err := fmt.Fprintln(w, "\nScheduling preview: no new pods.")
		return err
	}
	var b strings.Builder
	b.WriteString("\nScheduling preview (new pods → nodes):\n")
	for _, wl := range ws {
		fmt.Fprintf(&b, "  %s: %d new pod(s)", wl.Key, wl.Pods)
		if s := nodeList(wl.Nodes); s != "" {
			b.WriteString(" → " + s)
		}
		b.WriteByte('\n')
		for _, r := range wl.Unschedulable {
			fmt.Fprintf(&b, "    ! %d pod(s) fit on no node: %s\n", r.Pods, r.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// RenderMarkdown writes the preview as a table for a comment.
func RenderMarkdown(w io.Writer, ws []Workload) error {
	var b strings.Builder
	b.WriteString("#### Scheduling preview\n\n")
	if len(ws) == 0 {
		b.WriteString("No new pods.\n")
	} else {
		b.WriteString("| Object | New pods | Nodes | Unschedulable |\n|---|---:|---|---|\n")
		for _, wl := range ws {
			var un []string
			for _, r := range wl.Unschedulable {
				un = append(un, fmt.Sprintf("%d: %s", r.Pods, r.Message))
			}
			fmt.Fprintf(&b, "| `%s` | %d | %s | %s |\n", wl.Key, wl.Pods, cell(nodeList(wl.Nodes)), cell(strings.Join(un, "; ")))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cell(s string) string {
	if s == "" {
		return "–"
	}
	return strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;").Replace(s)
}

// nodeList is "node-a (2), node-b (1)", nodes by name.
func nodeList(m map[string]int) string {
	names := slices.Sorted(maps.Keys(m))
	var parts []string
	for _, n := range names {
		parts = append(parts, fmt.Sprintf("%s (%d)", n, m[n]))
	}
	return strings.Join(parts, ", ")
}
