package main

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/events"
)

// containersRepairedLine sums the agents' DriftRepaired events (containers
// removed or stopped by hand in Podman and restored) into one status line;
// "" when there are none. Repeats of one event count by its count field.
// The last is the newest (ties of whole-second times broken as `reconcile
// events` does).
func containersRepairedLine(evs []*corev1.Event) string {
	evs = append([]*corev1.Event(nil), evs...)
	events.SortOldestFirst(evs)
	n := 0
	var last *corev1.Event
	for _, ev := range evs {
		if ev.Reason != agent.ReasonDriftRepaired {
			continue
		}
		count := int(ev.Count)
		if count < 1 {
			count = 1
		}
		n += count
		last = ev
	}
	if last == nil {
		return ""
	}
	return fmt.Sprintf("containers repaired: %d (last: %s, %s)", n, oneLine(last.Message),
		events.LastSeen(last).Local().Format("2006-01-02 15:04:05"))
}
