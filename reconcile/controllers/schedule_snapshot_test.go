package controllers

import (
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The Manager's scheduler snapshot follows the store: a pod that does not
// fit beside a bound one is placed once that pod is deleted (its
// requests leave the snapshot through the watch), and a node that starts
// to take pods (spec.unschedulable cleared) gets them.
func TestManagerSchedulerSnapshotFollowsDeletesAndNodeChanges(t *testing.T) {
	st := startManager(t, Options{})
	registerNode(t, st, "n1", "1", time.Now(), true)
	pod := func(name string) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
		objects.SetTypeMeta(p, "Pod")
		p.Spec.Containers = []corev1.Container{{Name: "app", Image: "img", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("600m")}}}}
		return p
	}
	nodeOf := func(name string) func([]*corev1.Pod, []*appsv1.ReplicaSet) string {
		return func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
			for _, p := range pods {
				if p.Name == name && p.Spec.NodeName != "" {
					return ""
				}
			}
			return fmt.Sprintf("%s not bound", name)
		}
	}
	write(t, st, func(tx *store.Tx) error { return tx.Create(pod("first")) })
	waitFor(t, st, "first bound", nodeOf("first"))
	write(t, st, func(tx *store.Tx) error { return tx.Create(pod("second")) })
	waitFor(t, st, "second unschedulable beside first", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		for _, p := range pods {
			if c := podCondition(p, corev1.PodScheduled); p.Name == "second" && p.Spec.NodeName == "" && c != nil && c.Reason == "Unschedulable" {
				return ""
			}
		}
		return "second not reported unschedulable"
	})
	write(t, st, func(tx *store.Tx) error {
		return tx.Delete(objects.Key{Kind: "Pod", Namespace: "default", Name: "first"})
	})
	waitFor(t, st, "second bound once first is gone", nodeOf("second"))

	// A node added cordoned takes the next pod once uncordoned.
	registerNode(t, st, "n2", "1", time.Now(), true)
	cordon := func(on bool) {
		write(t, st, func(tx *store.Tx) error {
			o, err := tx.Get(objects.Key{Kind: "Node", Name: "n2"})
			if err != nil {
				return err
			}
			n := o.(*corev1.Node)
			n.Spec.Unschedulable = on
			return tx.Update(n)
		})
	}
	cordon(true)
	write(t, st, func(tx *store.Tx) error { return tx.Create(pod("third")) })
	waitFor(t, st, "third unschedulable", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		for _, p := range pods {
			if c := podCondition(p, corev1.PodScheduled); p.Name == "third" && p.Spec.NodeName == "" && c != nil && c.Reason == "Unschedulable" {
				return ""
			}
		}
		return "third not reported unschedulable"
	})
	cordon(false)
	waitFor(t, st, "third bound on n2", nodeOf("third"))
}
