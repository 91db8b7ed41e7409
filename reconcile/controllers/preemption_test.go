package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestManagerPreemptsLowerPriorityPods runs the runner on a real store: a
// low-priority Deployment (its pods admitted with the class's value) fills
// a two-cpu node; a high-priority pod arrives, one low pod is deleted
// gracefully with the Preempted event, the high pod is nominated and then
// bound once its victim is gone, and the low pod's replacement stays
// pending with the insufficient-cpu reason (the nominated pod's room is
// not given to it meanwhile).
func TestManagerPreemptsLowerPriorityPods(t *testing.T) {
	st := startManager(t, Options{Resync: 50 * time.Millisecond})
	registerNode(t, st, "n1", "2", time.Now(), true)
	write(t, st, func(tx *store.Tx) error {
		for name, v := range map[string]int32{"low": 10, "high": 1000} {
			pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: v}
			objects.SetTypeMeta(pc, "PriorityClass")
			if err := tx.Create(pc); err != nil {
				return err
			}
		}
		d := deployment("filler", 2, "img")
		d.Spec.Template.Spec.PriorityClassName = "low"
		d.Spec.Template.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
		return tx.Create(d)
	})
	waitFor(t, st, "2 low pods bound with priority 10", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		bound := 0
		for _, p := range pods {
			if p.Spec.NodeName != "" && p.Spec.Priority != nil && *p.Spec.Priority == 10 {
				bound++
			}
		}
		return cond(bound == 2, fmt.Sprintf("%d bound", bound))
	})
	urgent := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "urgent"},
		Spec: corev1.PodSpec{PriorityClassName: "high", Priority: ptr.To[int32](1000), Containers: []corev1.Container{{Name: "c", Image: "img",
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}}}}}}
	objects.SetTypeMeta(urgent, "Pod")
	write(t, st, func(tx *store.Tx) error { return tx.Create(urgent) })

	var pendingLow string
	waitFor(t, st, "urgent bound, one low pod bound, its replacement pending", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		var state []string
		ok := 0
		for _, p := range pods {
			c := podCondition(p, corev1.PodScheduled)
			switch {
			case p.Name == "urgent" && p.Spec.NodeName == "n1" && p.Status.NominatedNodeName == "":
				ok++
			case p.Name != "urgent" && p.Spec.NodeName == "" && c != nil && c.Message == "0/1 nodes are available: 1 Insufficient cpu.":
				ok++
				pendingLow = p.Name
			case p.Name != "urgent" && p.Spec.NodeName == "n1" && p.DeletionTimestamp == nil:
				ok++
			}
			state = append(state, fmt.Sprintf("%s node=%q nominated=%q deleting=%v", p.Name, p.Spec.NodeName, p.Status.NominatedNodeName, p.DeletionTimestamp != nil))
		}
		return cond(ok == 3 && len(pods) == 3, strings.Join(state, "; "))
	})
	testkit.Eventually(t, 10*time.Second, "a Preempted event on the victim", func() error {
		objs, _, err := st.List("Event", "default")
		if err != nil {
			return err
		}
		for _, o := range objs {
			ev := o.(*corev1.Event)
			if ev.Reason == ReasonPreempted && ev.InvolvedObject.Name != pendingLow && strings.HasPrefix(ev.Message, "Preempted by pod ") &&
				strings.HasSuffix(ev.Message, " on node n1") && ev.Source.Component == "default-scheduler" {
				return nil
			}
		}
		return fmt.Errorf("no Preempted event among %d events", len(objs))
	})
}

func cond(ok bool, why string) string {
	if ok {
		return ""
	}
	return why
}

// TestPreemptionsChanges: a scheduler preemption becomes a graceful
// delete of each victim marked DisruptionTarget with the Preempted event,
// and the preemptor's nomination.
func TestPreemptionsChanges(t *testing.T) {
	victim := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "low", UID: "u-low"}, Spec: corev1.PodSpec{NodeName: "n1"}}
	urgent := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "urgent", UID: "u-urgent"}}
	var ch Changes
	preemptions([]*corev1.Pod{urgent}, map[string]scheduler.Preemption{"default/urgent": {Node: "n1", Victims: []*corev1.Pod{victim}}}, "default-scheduler", t0, &ch)
	var got []string
	for _, o := range ch.Delete {
		got = append(got, "delete "+o.GetName())
	}
	for _, o := range ch.UpdateStatus {
		p := o.(*corev1.Pod)
		if c := podCondition(p, corev1.DisruptionTarget); c != nil {
			got = append(got, fmt.Sprintf("%s %s=%s %s: %s", p.Name, c.Type, c.Status, c.Reason, c.Message))
		}
		if p.Status.NominatedNodeName != "" {
			got = append(got, p.Name+" nominated "+p.Status.NominatedNodeName)
		}
	}
	for _, e := range ch.Events {
		got = append(got, e.Object.GetName()+" "+e.Type+" "+e.Reason+" "+e.Message)
	}
	want := "delete low; low DisruptionTarget=True PreemptionByScheduler: default-scheduler: preempting to accommodate a higher priority pod; " +
		"urgent nominated n1; low Normal Preempted Preempted by pod u-urgent on node n1"
	if s := strings.Join(got, "; "); s != want {
		t.Errorf("got  %s\nwant %s", s, want)
	}
}

// TestManagerRefusesPodsOfUnknownClass: the runner admits template pods:
// a ReplicaSet whose template names a class that does not exist creates
// no pod and records FailedCreate with the API server's words; once the
// class exists, its pods are created with the class's priority.
func TestManagerRefusesPodsOfUnknownClass(t *testing.T) {
	st := startManager(t, Options{Resync: 50 * time.Millisecond})
	d := deployment("gold", 1, "img")
	d.Spec.Template.Spec.PriorityClassName = "gold"
	write(t, st, func(tx *store.Tx) error { return tx.Create(d) })
	testkit.Eventually(t, 10*time.Second, "FailedCreate on the ReplicaSet", func() error {
		objs, _, err := st.List("Event", "default")
		if err != nil {
			return err
		}
		for _, o := range objs {
			ev := o.(*corev1.Event)
			if ev.Reason == ReasonFailedCreate && ev.InvolvedObject.Kind == "ReplicaSet" && ev.Type == corev1.EventTypeWarning &&
				strings.HasPrefix(ev.Message, "Error creating: pods \"gold-") && strings.HasSuffix(ev.Message, "\" is forbidden: no PriorityClass with name gold was found") {
				return nil
			}
		}
		return fmt.Errorf("no FailedCreate among %d events", len(objs))
	})
	if pods := storedPods(t, st); len(pods) != 0 {
		t.Fatalf("pods created despite the unknown class: %d", len(pods))
	}
	write(t, st, func(tx *store.Tx) error {
		pc := &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: "gold"}, Value: 7}
		objects.SetTypeMeta(pc, "PriorityClass")
		return tx.Create(pc)
	})
	testkit.Eventually(t, 30*time.Second, "the pod created once the class exists", func() error {
		pods := storedPods(t, st)
		if len(pods) != 1 || pods[0].Spec.Priority == nil || *pods[0].Spec.Priority != 7 {
			return fmt.Errorf("%d pods", len(pods))
		}
		return nil
	})
}
