package controllers

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// placement renders "pod@node" for every pod, sorted.
func placement(pods []*corev1.Pod) string {
	var out []string
	for _, p := range pods {
		out = append(out, p.Name[strings.LastIndex(p.Name, "-")+1:]+"@"+p.Spec.NodeName)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestManagerDaemonSetFollowsNodes(t *testing.T) {
	st := startManager(t, Options{})
	registerNode(t, st, "n1", "4", time.Now(), true)
	registerNode(t, st, "n2", "4", time.Now(), true)
	write(t, st, func(tx *store.Tx) error { return tx.Create(daemonSet("logs", "img")) })
	perNode := func(nodes ...string) func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
		return func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
			var got []string
			for _, p := range pods {
				got = append(got, p.Spec.NodeName)
			}
			sort.Strings(got)
			if strings.Join(got, ",") != strings.Join(nodes, ",") {
				return fmt.Sprintf("daemon pods on %v, want %v", got, nodes)
			}
			return ""
		}
	}
	waitFor(t, st, "a daemon pod on n1 and n2", perNode("n1", "n2"))
	registerNode(t, st, "n3", "4", time.Now(), true)
	waitFor(t, st, "a daemon pod on the node that joined", perNode("n1", "n2", "n3"))
}

func TestManagerStatefulSetStableNames(t *testing.T) {
	st := startManager(t, Options{})
	registerNode(t, st, "n1", "4", time.Now(), true)
	s := statefulSet("db", 3, "img")
	s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
	write(t, st, func(tx *store.Tx) error { return tx.Create(s) })
	waitFor(t, st, "db-0..2 bound", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		if got := placement(pods); got != "0@n1 1@n1 2@n1" {
			return got
		}
		return ""
	})
}
