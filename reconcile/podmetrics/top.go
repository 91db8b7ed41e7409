package podmetrics

import (
	"fmt"
	"io"
	"text/tabwriter"

	corev1 "k8s.io/api/core/v1"
)

// WriteTopPods writes kubectl top pods' table: NAME, CPU(cores) in
// millicores, MEMORY(bytes) in MiB; NAMESPACE first when withNamespace.
func WriteTopPods(w io.Writer, pods []PodMetrics, withNamespace bool) error {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	if withNamespace {
		fmt.Fprint(tw, "NAMESPACE\t")
	}
	fmt.Fprintln(tw, "NAME\tCPU(cores)\tMEMORY(bytes)")
	for _, p := range pods {
		total := PodTotal(p)
		if withNamespace {
			fmt.Fprintf(tw, "%s\t", p.Namespace)
		}
		fmt.Fprintf(tw, "%s\t%dm\t%dMi\n", p.Name, CPU(total), Memory(total)/(1<<20))
	}
	return tw.Flush()
}

// WriteTopNodes writes kubectl top nodes' table: usage and its share of
// the node's allocatable. Nodes that reported nothing show <unknown>.
func WriteTopNodes(w io.Writer, usage []NodeMetrics, nodes []*corev1.Node) error {
	byName := map[string]NodeMetrics{}
	for _, u := range usage {
		byName[u.Name] = u
	}
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCPU(cores)\tCPU(%)\tMEMORY(bytes)\tMEMORY(%)")
	for _, n := range nodes {
		u, ok := byName[n.Name]
		if !ok {
			fmt.Fprintf(tw, "%s\t<unknown>\t<unknown>\t<unknown>\t<unknown>\n", n.Name)
			continue
		}
		cpu, mem := CPU(u.Usage), Memory(u.Usage)
		fmt.Fprintf(tw, "%s\t%dm\t%s\t%dMi\t%s\n", n.Name, cpu, percent(cpu, n.Status.Allocatable, corev1.ResourceCPU, true),
			mem/(1<<20), percent(mem, n.Status.Allocatable, corev1.ResourceMemory, false))
	}
	return tw.Flush()
}

func percent(used int64, alloc corev1.ResourceList, name corev1.ResourceName, milli bool) string {
	q, ok := alloc[name]
	if !ok {
		return "<unknown>"
	}
	total := q.Value()
	if milli {
		total = q.MilliValue()
	}
	if total == 0 {
		return "<unknown>"
	}
	return fmt.Sprintf("%d%%", used*100/total)
}
