package scheduler

import (
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// TestDaemonPodPlacement: a DaemonSet pod meets the resource fit and the
// host-port check on its node; one that does not fit is refused with Kubernetes' reason unless it
// may preempt lower-priority pods there (system-node-critical agents).
func TestDaemonPodPlacement(t *testing.T) {
	n := node("node1", "2", "4Gi", 110)
	full := []*corev1.Pod{pod("a", "1", "", on("node1"), prio(0), started(1)), pod("b", "1", "", on("node1"), prio(0), started(2))}
	tests := []struct {
		name   string
		daemon *corev1.Pod
		onNode []*corev1.Pod
		want   string
	}{
		{"fits", pod("ds", "1", "", prio(0)), full[:1], "fits"},
		{"does not fit", pod("ds", "1", "", prio(0)), full, "refused: Insufficient cpu"},
		{"does not fit even empty", pod("ds", "3", "", prio(2000001000)), nil, "refused: Insufficient cpu"},
		{"node critical preempts the newest low pod", pod("ds", "1", "", prio(2000001000)), full, "victims: b"},
		{"Never does not preempt", pod("ds", "1", "", prio(2000001000), never), full, "refused: Insufficient cpu"},
		{"host port taken", pod("ds", "100m", "", prio(0), ports("TCP/0.0.0.0/9100")), []*corev1.Pod{pod("x", "100m", "", on("node1"), ports("TCP/0.0.0.0/9100"))}, "refused: node(s) didn't have free ports for the requested pod ports"},
		{"another host port", pod("ds", "100m", "", prio(0), ports("TCP/0.0.0.0/9100")), []*corev1.Pod{pod("x", "100m", "", on("node1"), ports("TCP/0.0.0.0/9101"))}, "fits"},
		{"terminating pods still hold room", pod("ds", "1", "", prio(0)), []*corev1.Pod{full[0], pod("c", "1", "", on("node1"), terminating)}, "refused: Insufficient cpu"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			victims, reasons := DaemonPodPlacement(tc.daemon, n, tc.onNode)
			got := "fits"
			switch {
			case len(reasons) > 0:
				got = "refused: " + strings.Join(reasons, ", ")
			case len(victims) > 0:
				var names []string
				for _, v := range victims {
					names = append(names, v.Name)
				}
				got = fmt.Sprint("victims: ", strings.Join(names, ","))
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
