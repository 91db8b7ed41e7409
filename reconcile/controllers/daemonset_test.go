package controllers

import (
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func daemonSet(name, image string) *appsv1.DaemonSet {
	ds := &appsv1.DaemonSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(ds, "DaemonSet")
	ds.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	ds.Spec.Template.Labels = map[string]string{"app": name}
	ds.Spec.Template.Spec.Containers = []corev1.Container{{Name: "agent", Image: image}}
	ds.Spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
	return ds
}

func (w *world) addNode(name string, labels map[string]string, taints ...corev1.Taint) {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Spec.Taints = taints
	objects.SetTypeMeta(n, "Node")
	w.create(n)
}

func (w *world) nodes() []*corev1.Node { return listOf[*corev1.Node](w, "Node") }

// stepDaemons runs the DaemonSet step to a fixpoint. Pods deleted
// gracefully are removed at once (the world has no agents); pods become
// Running, and Ready if ready says so.
func (w *world) stepDaemons(ready bool) {
	w.t.Helper()
	for round := 0; round < 20; round++ {
		changed := false
		for _, ds := range listOf[*appsv1.DaemonSet](w, "DaemonSet") {
			if ch := ReconcileDaemonSet(ds, w.pods(), w.nodes(), w.suffix, w.now); !ch.Empty() {
				w.apply(ch)
				w.checkInvariants()
				changed = true
			}
		}
		for _, p := range w.pods() {
			if p.Status.Phase != corev1.PodRunning || (ready && !objects.PodReady(p)) {
				p.Status.Phase = corev1.PodRunning
				if ready {
					p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(w.now)})
				}
				changed = true
			}
		}
		if !changed {
			return
		}
	}
	w.t.Fatal("DaemonSet did not settle in 20 rounds")
}

// podsByNode renders "node:image" per pod, sorted.
func podsByNode(w *world) string {
	var out []string
	for _, p := range w.pods() {
		out = append(out, p.Spec.NodeName+":"+p.Spec.Containers[0].Image)
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func TestDaemonSetOnePodPerEligibleNode(t *testing.T) {
	w := newWorld(t)
	w.addNode("n1", map[string]string{"disk": "ssd"})
	w.addNode("n2", map[string]string{"disk": "hdd"})
	w.addNode("n3", map[string]string{"disk": "ssd"}, corev1.Taint{Key: "dedicated", Value: "db", Effect: corev1.TaintEffectNoSchedule})
	ds := daemonSet("logs", "img:v1")
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	w.create(ds)
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img:v1" {
		t.Fatalf("pods %q, want only n1 (n2 has no ssd, n3 is tainted)", got)
	}
	p := w.pods()[0]
	testkit.GoldenJSON(t, "testdata/daemonset-pod.golden", p.Spec)
	if c := podCondition(p, corev1.PodScheduled); c == nil || c.Status != corev1.ConditionTrue {
		t.Errorf("daemon pod not marked scheduled: %+v", p.Status.Conditions)
	}

	// Tolerating the taint makes n3 eligible.
	ds = listOf[*appsv1.DaemonSet](w, "DaemonSet")[0]
	ds.Spec.Template.Spec.Tolerations = []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "db", Effect: corev1.TaintEffectNoSchedule}}
	ds.Generation++
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img:v1 n3:img:v1" {
		t.Fatalf("pods %q, want n1 and n3", got)
	}
	st := listOf[*appsv1.DaemonSet](w, "DaemonSet")[0].Status
	if st.DesiredNumberScheduled != 2 || st.CurrentNumberScheduled != 2 || st.NumberReady != 2 || st.NumberAvailable != 2 || st.UpdatedNumberScheduled != 2 || st.NumberMisscheduled != 0 {
		t.Errorf("status %+v", st)
	}
}

func TestDaemonSetNodeJoinAndLeave(t *testing.T) {
	w := newWorld(t)
	w.addNode("n1", nil)
	w.create(daemonSet("logs", "img"))
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img" {
		t.Fatalf("pods %q", got)
	}
	w.addNode("n2", nil)
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img n2:img" {
		t.Fatalf("after n2 joined: pods %q", got)
	}
	// n1 leaves: its pod is marked Failed (NodeLost) and removed at once.
	delete(w.objs, objects.Key{Kind: "Node", Name: "n1"})
	ch := ReconcileDaemonSet(listOf[*appsv1.DaemonSet](w, "DaemonSet")[0], w.pods(), w.nodes(), w.suffix, w.now)
	if len(ch.UpdateStatus) < 2 || ch.UpdateStatus[0].(*corev1.Pod).Status.Reason != ReasonNodeLost || len(ch.Delete) != 1 {
		t.Fatalf("node leave: want the n1 pod marked NodeLost and deleted, got %+v", ch)
	}
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n2:img" {
		t.Fatalf("after n1 left: pods %q", got)
	}
	// A node relabelled out of the selector loses its pod.
	ds := listOf[*appsv1.DaemonSet](w, "DaemonSet")[0]
	ds.Spec.Template.Spec.NodeSelector = map[string]string{"role": "edge"}
	w.stepDaemons(true)
	if got := podsByNode(w); got != "" {
		t.Fatalf("no node is an edge node, yet pods %q", got)
	}
}

func TestDaemonSetRollingUpdateMaxUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name    string
		maxUnav intstr.IntOrString
		want    int
	}{{"default-1", intstr.FromInt32(1), 1}, {"two", intstr.FromInt32(2), 2}, {"40%-of-5-rounds-up", intstr.FromString("40%"), 2}} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			for _, n := range []string{"n1", "n2", "n3", "n4", "n5"} {
				w.addNode(n, nil)
			}
			ds := daemonSet("logs", "img:v1")
			ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &tc.maxUnav}
			w.create(ds)
			w.stepDaemons(true)
			listOf[*appsv1.DaemonSet](w, "DaemonSet")[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
			invariants[w] = func() {
				_, ready := w.countPods("")
				if ready < 5-tc.want {
					t.Fatalf("%d ready daemon pods, want at least %d: %s", ready, 5-tc.want, podsByNode(w))
				}
			}
			for i := 0; i < 10; i++ {
				w.stepDaemons(false)
				_, readyOld := w.countPods("img:v1")
				v2, _ := w.countPods("img:v2")
				if readyOld+v2 != 5 && i == 0 {
					t.Logf("step %d: %s", i, podsByNode(w))
				}
				if v2 > tc.want && i == 0 {
					t.Fatalf("first step replaced %d pods, want %d", v2, tc.want)
				}
				w.readyPods("img:v2", 5)
				if n, r := w.countPods("img:v2"); n == 5 && r == 5 {
					break
				}
			}
			if got := podsByNode(w); got != "n1:img:v2 n2:img:v2 n3:img:v2 n4:img:v2 n5:img:v2" {
				t.Fatalf("after the rollout: %s", got)
			}
		})
	}
}

func TestDaemonSetOnDeleteKeepsOldPods(t *testing.T) {
	w := newWorld(t)
	w.addNode("n1", nil)
	ds := daemonSet("logs", "img:v1")
	ds.Spec.UpdateStrategy.Type = appsv1.OnDeleteDaemonSetStrategyType
	w.create(ds)
	w.stepDaemons(true)
	listOf[*appsv1.DaemonSet](w, "DaemonSet")[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img:v1" {
		t.Fatalf("OnDelete replaced the pod: %s", got)
	}
	delete(w.objs, objects.KeyOf(w.pods()[0]))
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img:v2" {
		t.Fatalf("after deleting the pod: %s", got)
	}
}

func TestDaemonSetReplacesFailedPodAndExtraPods(t *testing.T) {
	w := newWorld(t)
	w.addNode("n1", nil)
	w.create(daemonSet("logs", "img"))
	w.stepDaemons(true)
	p := w.pods()[0]
	p.Status.Phase = corev1.PodFailed
	// A second pod on the same node (e.g. adopted): the newer one goes.
	extra := daemonPod(listOf[*appsv1.DaemonSet](w, "DaemonSet")[0], "x", "n1", "logs-extra")
	w.now = w.now.Add(time.Second)
	w.create(extra)
	w.stepDaemons(true)
	ps := w.pods()
	if len(ps) != 1 || ps[0].Name == p.Name || ps[0].Name == "logs-extra" {
		t.Fatalf("pods %v: want one fresh pod replacing the failed one", names(ps))
	}
}

func TestDaemonSetRollingUpdateMaxSurge(t *testing.T) {
	w := newWorld(t)
	for _, n := range []string{"n1", "n2", "n3"} {
		w.addNode(n, nil)
	}
	ds := daemonSet("logs", "img:v1")
	zero, one := intstr.FromInt32(0), intstr.FromInt32(1)
	ds.Spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &zero, MaxSurge: &one}
	w.create(ds)
	w.stepDaemons(true)
	listOf[*appsv1.DaemonSet](w, "DaemonSet")[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	invariants[w] = func() {
		// Every node keeps a ready pod: the old one goes only once the new one is ready.
		readyOn := map[string]bool{}
		for _, p := range w.pods() {
			if objects.PodReady(p) {
				readyOn[p.Spec.NodeName] = true
			}
		}
		if len(readyOn) < 3 {
			t.Fatalf("nodes with a ready pod: %v (%s)", readyOn, podsByNode(w))
		}
		if n := len(w.pods()); n > 4 {
			t.Fatalf("%d pods, want at most 3 + maxSurge 1: %s", n, podsByNode(w))
		}
	}
	var trace []string
	for i := 0; i < 10; i++ {
		w.stepDaemons(false)
		trace = append(trace, podsByNode(w))
		w.readyPods("img:v2", 3)
		if podsByNode(w) == "n1:img:v2 n2:img:v2 n3:img:v2" {
			break
		}
	}
	testkit.GoldenJSON(t, "testdata/daemonset-surge-trace.golden", trace)
	if got := podsByNode(w); got != "n1:img:v2 n2:img:v2 n3:img:v2" {
		t.Fatalf("after the rollout: %s", got)
	}
}

// TestDaemonPodsStayOnLostNodes: a node that stops heartbeating gets the
// node controller's unreachable taints (NoSchedule and NoExecute); its
// daemon pod tolerates the NoExecute one and stays, as in Kubernetes
// (shouldContinueRunning), instead of being deleted as misscheduled. A
// NoExecute taint it does not tolerate does remove it.
func TestDaemonPodsStayOnLostNodes(t *testing.T) {
	w := newWorld(t)
	w.addNode("n1", nil)
	w.addNode("n2", nil)
	w.create(daemonSet("logs", "img"))
	w.stepDaemons(true)
	taint := func(name string, taints ...corev1.Taint) {
		n := objects.Copy(w.objs[objects.Key{Kind: "Node", Name: name}]).(*corev1.Node)
		n.Spec.Taints = taints
		w.apply(Changes{Update: []objects.Object{n}})
	}
	taint("n2", taintUnreachNoSchedule, stamped(taintUnreachableNoExecute, t0))
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img n2:img" {
		t.Fatalf("after n2 became unreachable: pods %q, want the daemon pod to stay on n2", got)
	}
	if st := listOf[*appsv1.DaemonSet](w, "DaemonSet")[0].Status; st.NumberMisscheduled != 0 {
		t.Errorf("the pod on the unreachable node counts as misscheduled: %+v", st)
	}
	taint("n2", corev1.Taint{Key: "maintenance", Effect: corev1.TaintEffectNoExecute})
	w.stepDaemons(true)
	if got := podsByNode(w); got != "n1:img" {
		t.Fatalf("after an untolerated NoExecute taint: pods %q, want n1 only", got)
	}
}
