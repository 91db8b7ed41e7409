package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/health"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// healthBySource counts the health of the objects each git source created
// (annotation reconcile.dev/source), for `reconcile status`. Objects of the
// source's last applied commit that are not in the store count as Missing.
func healthBySource(ctx context.Context, c *apiclient.Client, objectsWanted map[string]int) (map[string]map[health.Status]int, error) {
	out := map[string]map[health.Status]int{}
	present := map[string]int{}
	for _, k := range objects.Kinds() {
		if !k.Manifest {
			continue
		}
		items, _, err := c.List(ctx, k.Kind, "", nil)
		if err != nil {
			return nil, err
		}
		for _, o := range items {
			src := o.GetAnnotations()[objects.AnnotationSource]
			if src == "" {
				continue
			}
			present[src]++
			if st, _ := controllers.Health(o); st != health.None {
				if out[src] == nil {
					out[src] = map[health.Status]int{}
				}
				out[src][st]++
			}
		}
	}
	for src, want := range objectsWanted {
		if missing := want - present[src]; missing > 0 {
			if out[src] == nil {
				out[src] = map[health.Status]int{}
			}
			out[src][health.Missing] += missing
		}
	}
	return out, nil
}

// printSourceHealth writes "  health:    2 Healthy, 1 Progressing".
func printSourceHealth(w io.Writer, counts map[health.Status]int) {
	if len(counts) == 0 {
		return
	}
	var parts []string
	for _, st := range []health.Status{health.Healthy, health.Progressing, health.Degraded, health.Suspended, health.Missing} {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	fmt.Fprintf(w, "  health:    %s\n", strings.Join(parts, ", "))
}
