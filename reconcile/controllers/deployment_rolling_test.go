package controllers

import (
	"fmt"
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

// step runs the Deployment, ReplicaSet and GC steps to a fixpoint without
// making any pod ready: new pods are bound and Running but not Ready, as
// just after their containers start. It returns the snapshots between
// writes, so tests can check invariants at every intermediate state.
func (w *world) step() {
	w.t.Helper()
	for round := 0; round < 50; round++ {
		changed := false
		apply := func(ch Changes) {
			if !ch.Empty() {
				changed = true
				w.apply(ch)
				w.checkInvariants()
			}
		}
		for _, d := range w.deployments() {
			apply(ReconcileDeployment(d, w.replicaSets(), w.now))
		}
		for _, rs := range w.replicaSets() {
			apply(ReconcileReplicaSet(rs, w.pods(), w.suffix, w.now))
		}
		for _, p := range w.pods() {
			if p.Status.Phase != corev1.PodRunning {
				p.Status.Phase, p.Spec.NodeName = corev1.PodRunning, "n1"
				changed = true
			}
		}
		if !changed {
			return
		}
	}
	w.t.Fatal("did not settle in 50 rounds")
}

// readyPods makes up to n not-ready pods of image ready (oldest first).
func (w *world) readyPods(image string, n int) int {
	done := 0
	for _, p := range w.pods() {
		if done == n {
			break
		}
		if p.Spec.Containers[0].Image == image && !objects.PodReady(p) {
			p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(w.now)}}
			done++
		}
	}
	return done
}

// invariants holds, per world, the check rollout tests set: the
// availability bound that must hold in every state the controllers produce.
var invariants = map[*world]func(){}

// checkInvariants runs the world's invariant, if a test set one: the availability bound that
// must hold in every state the controllers produce.
func (w *world) checkInvariants() {
	if f := invariants[w]; f != nil {
		f()
	}
}

func (w *world) countPods(image string) (total, ready int) {
	for _, p := range w.pods() {
		if image == "" || p.Spec.Containers[0].Image == image {
			total++
			if objects.PodReady(p) {
				ready++
			}
		}
	}
	return total, ready
}

// rollout drives a rollout to image, making one new pod ready at a time,
// and returns the trace of (new ReplicaSet, old ReplicaSets) replicas.
func rollout(t *testing.T, w *world, image string) []string {
	t.Helper()
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = image
	w.deployments()[0].Generation++
	var trace []string
	for i := 0; i < 100; i++ {
		w.step()
		trace = append(trace, replicaTrace(w, image))
		total, ready := w.countPods(image)
		all, _ := w.countPods("")
		if want := replicasOf(w.deployments()[0].Spec.Replicas); total == int(want) && ready == total && all == total {
			return trace
		}
		if w.readyPods(image, 1) == 0 {
			t.Fatalf("rollout stalled with no new pod to make ready: %s", strings.Join(trace, " "))
		}
	}
	t.Fatalf("rollout did not finish: %s", strings.Join(trace, " "))
	return nil
}

func replicaTrace(w *world, image string) string {
	var newR, oldR int32
	for _, rs := range w.replicaSets() {
		if rs.Spec.Template.Spec.Containers[0].Image == image {
			newR += *rs.Spec.Replicas
		} else {
			oldR += *rs.Spec.Replicas
		}
	}
	return fmt.Sprintf("%d/%d", newR, oldR)
}

func rollingDeployment(replicas int32, surge, unavailable intstr.IntOrString) *appsv1.Deployment {
	d := deployment("web", replicas, "img:v1")
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
		RollingUpdate: &appsv1.RollingUpdateDeployment{MaxSurge: &surge, MaxUnavailable: &unavailable}}
	return d
}

func TestRollingUpdateKeepsAvailability(t *testing.T) {
	cases := []struct {
		name        string
		replicas    int32
		surge, unav intstr.IntOrString
		wantSurge   int32
		wantUnav    int32
	}{
		{"numbers", 4, intstr.FromInt32(1), intstr.FromInt32(1), 1, 1},
		{"defaults-25%", 4, intstr.FromString("25%"), intstr.FromString("25%"), 1, 1},
		{"percent-rounding", 10, intstr.FromString("25%"), intstr.FromString("25%"), 3, 2},
		{"surge-only", 3, intstr.FromInt32(1), intstr.FromInt32(0), 1, 0},
		{"unavailable-only", 3, intstr.FromInt32(0), intstr.FromInt32(1), 0, 1},
		{"both-zero-means-one-unavailable", 2, intstr.FromInt32(0), intstr.FromInt32(0), 0, 1},
		{"single-replica", 1, intstr.FromString("25%"), intstr.FromString("25%"), 1, 0},
	}
	traces := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			d := rollingDeployment(tc.replicas, tc.surge, tc.unav)
			if s, u := rollingParams(d); s != tc.wantSurge || u != tc.wantUnav {
				t.Fatalf("rollingParams = %d, %d; want %d, %d", s, u, tc.wantSurge, tc.wantUnav)
			}
			w.create(d)
			w.settle()
			invariants[w] = func() {
				all, ready := w.countPods("")
				if ready < int(tc.replicas-tc.wantUnav) {
					t.Fatalf("only %d ready pods, want at least %d", ready, tc.replicas-tc.wantUnav)
				}
				if all > int(tc.replicas+tc.wantSurge) {
					t.Fatalf("%d pods, want at most %d", all, tc.replicas+tc.wantSurge)
				}
			}
			trace := rollout(t, w, "img:v2")
			traces[tc.name] = strings.Join(trace, " ")
			st := w.deployments()[0].Status
			if st.UpdatedReplicas != tc.replicas || st.AvailableReplicas != tc.replicas || st.Replicas != tc.replicas {
				t.Errorf("final status %+v", st)
			}
			if c := deploymentCondition(st.Conditions, appsv1.DeploymentProgressing); c == nil || c.Reason != ReasonNewReplicaSetAvailable {
				t.Errorf("Progressing %+v, want NewReplicaSetAvailable", c)
			}
		})
	}
	testkit.GoldenJSON(t, "testdata/rolling-update-traces.golden", traces)
}

func TestRolloutStallsOnUnreadyPodsAndTimesOut(t *testing.T) {
	w := newWorld(t)
	deadline := int32(30)
	d := rollingDeployment(3, intstr.FromInt32(1), intstr.FromInt32(1))
	d.Spec.ProgressDeadlineSeconds = &deadline
	w.create(d)
	w.settle()
	rollout(t, w, "img:v2")

	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v3"
	w.deployments()[0].Generation++
	w.step()
	_, v2ready := w.countPods("img:v2")
	v3, _ := w.countPods("img:v3")
	if v2ready < 2 || v3 == 0 || v3 > 2 {
		t.Fatalf("v2 ready %d, v3 pods %d: want at least 2 v2 serving and a bounded number of v3", v2ready, v3)
	}
	ch := ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now)
	if ch.RequeueAfter <= 0 || ch.RequeueAfter > 31*time.Second {
		t.Errorf("RequeueAfter %v, want the rest of the 30 s deadline", ch.RequeueAfter)
	}
	c := deploymentCondition(w.deployments()[0].Status.Conditions, appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionTrue {
		t.Fatalf("before the deadline Progressing = %+v", c)
	}

	w.now = w.now.Add(31 * time.Second)
	w.step()
	c = deploymentCondition(w.deployments()[0].Status.Conditions, appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionFalse || c.Reason != ReasonProgressDeadlineExceeded {
		t.Fatalf("after the deadline Progressing = %+v", c)
	}
	testkit.GoldenJSON(t, "testdata/deployment-deadline-exceeded.golden", c)
	if _, r := w.countPods("img:v2"); r != v2ready {
		t.Errorf("v2 ready pods went from %d to %d after the deadline; the old version must keep serving", v2ready, r)
	}

	// A newer commit (back to a good v4) starts a new rollout and a new clock.
	rollout(t, w, "img:v4")
	c = deploymentCondition(w.deployments()[0].Status.Conditions, appsv1.DeploymentProgressing)
	if c.Status != corev1.ConditionTrue || c.Reason != ReasonNewReplicaSetAvailable {
		t.Errorf("after v4 Progressing = %+v", c)
	}
	for _, p := range w.pods() {
		if img := p.Spec.Containers[0].Image; img != "img:v4" {
			t.Errorf("pod %s still runs %s", p.Name, img)
		}
	}
}

func TestRolloutMeetsNewerTemplate(t *testing.T) {
	w := newWorld(t)
	w.create(rollingDeployment(4, intstr.FromInt32(1), intstr.FromInt32(1)))
	w.settle()
	invariants[w] = func() {
		if _, ready := w.countPods(""); ready < 3 {
			t.Fatalf("%d ready pods, want at least 3", ready)
		}
	}
	// Half way to v2, v3 arrives.
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	w.step()
	w.readyPods("img:v2", 1)
	w.step()
	if n, _ := w.countPods("img:v2"); n == 0 {
		t.Fatal("no v2 pods mid-rollout")
	}
	rollout(t, w, "img:v3")
	if len(w.pods()) != 4 {
		t.Errorf("%d pods, want 4 v3 pods", len(w.pods()))
	}
	for _, rs := range w.replicaSets() {
		if img := rs.Spec.Template.Spec.Containers[0].Image; img != "img:v3" && *rs.Spec.Replicas != 0 {
			t.Errorf("old ReplicaSet %s (%s) still at %d", rs.Name, img, *rs.Spec.Replicas)
		}
	}
}

func TestScaleDuringRollout(t *testing.T) {
	w := newWorld(t)
	w.create(rollingDeployment(4, intstr.FromInt32(1), intstr.FromInt32(1)))
	w.settle()
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	w.step()
	w.readyPods("img:v2", 2)
	w.step()
	// Scale up mid-rollout: the bound follows the new replicas.
	n := int32(8)
	w.deployments()[0].Spec.Replicas = &n
	invariants[w] = func() {
		all, _ := w.countPods("")
		if all > 8+2 {
			t.Fatalf("%d pods, want at most replicas+maxSurge = 10", all)
		}
	}
	rollout(t, w, "img:v2")
	if total, ready := w.countPods("img:v2"); total != 8 || ready != 8 {
		t.Errorf("v2 pods %d (ready %d), want 8", total, ready)
	}
	// Scale down mid-rollout to v3.
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v3"
	w.step()
	w.readyPods("img:v3", 1)
	n = 2
	w.deployments()[0].Spec.Replicas = &n
	rollout(t, w, "img:v3")
	if total := len(w.pods()); total != 2 {
		t.Errorf("%d pods after scaling to 2, want 2", total)
	}
}

func TestMinReadySecondsGatesTheRollout(t *testing.T) {
	w := newWorld(t)
	d := rollingDeployment(2, intstr.FromInt32(1), intstr.FromInt32(0))
	d.Spec.MinReadySeconds = 10
	w.create(d)
	w.settle()
	w.now = w.now.Add(time.Minute)
	w.step()
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	w.step()
	w.readyPods("img:v2", 1)
	w.step()
	if old, _ := w.countPods("img:v1"); old != 2 {
		t.Fatalf("%d v1 pods: a v2 pod ready for less than minReadySeconds must not replace one", old)
	}
	ch := ReconcileReplicaSet(newestRS(w), w.pods(), w.suffix, w.now)
	if ch.RequeueAfter != 10*time.Second {
		t.Errorf("ReplicaSet asks to requeue after %v, want 10s", ch.RequeueAfter)
	}
	w.now = w.now.Add(10 * time.Second)
	w.step()
	if old, _ := w.countPods("img:v1"); old != 1 {
		t.Errorf("%d v1 pods after minReadySeconds, want 1", old)
	}
}

func TestRecreateStopsOldPodsFirst(t *testing.T) {
	w := newWorld(t)
	d := deployment("web", 3, "img:v1")
	d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType
	w.create(d)
	w.settle()
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	// One pass: the old ReplicaSet goes to 0, the new stays at 0.
	ch := ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now)
	w.apply(ch)
	for _, rs := range w.replicaSets() {
		if *rs.Spec.Replicas != 0 {
			t.Fatalf("%s (%s) at %d while old pods still run", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, *rs.Spec.Replicas)
		}
	}
	// The old pods are terminating: still no new ones.
	old := oldestRS(w)
	term := int32(3)
	old.Status.TerminatingReplicas = &term
	if ch := ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now); replicasOf(newestRSIn(ch, w).Spec.Replicas) != 0 {
		t.Fatal("new ReplicaSet scaled up while old pods terminate")
	}
	old.Status.TerminatingReplicas = nil
	w.settle()
	if n, _ := w.countPods("img:v2"); n != 3 || len(w.pods()) != 3 {
		t.Errorf("%d v2 pods of %d, want 3 of 3", n, len(w.pods()))
	}
}

func TestOverlappingSelectorsDoNotFight(t *testing.T) {
	w := newWorld(t)
	a := deployment("a", 2, "img")
	b := deployment("b", 3, "img")
	// Same selector and template: Kubernetes' controllerRef keeps them apart.
	b.Spec.Selector = a.Spec.Selector.DeepCopy()
	b.Spec.Template = *a.Spec.Template.DeepCopy()
	w.create(a)
	w.create(b)
	w.settle()
	count := map[string]int{}
	for _, p := range w.pods() {
		for _, rs := range w.replicaSets() {
			if ownedBy(p, rs) {
				count[rs.OwnerReferences[0].Name]++
			}
		}
	}
	if count["a"] != 2 || count["b"] != 3 || len(w.pods()) != 5 {
		t.Errorf("pods per Deployment %v (total %d), want a:2 b:3", count, len(w.pods()))
	}
}

func newestRS(w *world) *appsv1.ReplicaSet {
	var out *appsv1.ReplicaSet
	for _, rs := range w.replicaSets() {
		if out == nil || revisionOf(rs) > revisionOf(out) {
			out = rs
		}
	}
	return out
}

func oldestRS(w *world) *appsv1.ReplicaSet {
	var out *appsv1.ReplicaSet
	for _, rs := range w.replicaSets() {
		if out == nil || revisionOf(rs) < revisionOf(out) {
			out = rs
		}
	}
	return out
}

// newestRSIn finds the new ReplicaSet as written by ch (created or updated).
func newestRSIn(ch Changes, w *world) *appsv1.ReplicaSet {
	for _, o := range append(ch.Create, ch.Update...) {
		if rs, ok := o.(*appsv1.ReplicaSet); ok && rs.Spec.Template.Spec.Containers[0].Image == "img:v2" {
			return rs
		}
	}
	return newestRS(w)
}

func TestTemplatesEqualIgnoresOnlyTheHashLabel(t *testing.T) {
	base := deployment("web", 1, "img").Spec.Template
	withHash := *base.DeepCopy()
	withHash.Labels = copyLabels(base.Labels, "pod-template-hash", "abc")
	otherLabel := *base.DeepCopy()
	otherLabel.Labels = copyLabels(base.Labels, "tier", "front")
	annotated := *base.DeepCopy()
	annotated.Annotations = map[string]string{"a": "b"}
	otherImage := *base.DeepCopy()
	otherImage.Spec.Containers[0].Image = "img2"
	for name, tc := range map[string]struct {
		t    corev1.PodTemplateSpec
		want bool
	}{"hash label": {withHash, true}, "other label": {otherLabel, false}, "annotation": {annotated, false}, "image": {otherImage, false}} {
		if got := templatesEqual(&base, &tc.t); got != tc.want {
			t.Errorf("%s: templatesEqual = %v, want %v", name, got, tc.want)
		}
	}
}

func TestDeploymentRecordsScalingEvents(t *testing.T) {
	w := newWorld(t)
	w.create(rollingDeployment(2, intstr.FromInt32(1), intstr.FromInt32(0)))
	w.settle()
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	ch := ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now)
	var msgs []string
	for _, e := range ch.Events {
		msgs = append(msgs, e.Reason+": "+e.Message)
	}
	testkit.GoldenJSON(t, "testdata/deployment-rollout-events.golden", msgs)
	rsCh := ReconcileReplicaSet(w.replicaSets()[0], nil, w.suffix, w.now)
	if len(rsCh.Events) != 2 || rsCh.Events[0].Reason != "SuccessfulCreate" || rsCh.Events[0].Component != ComponentReplicaSet {
		t.Errorf("ReplicaSet events %+v", rsCh.Events)
	}
}

func TestPausedDeploymentScalesButDoesNotRollOut(t *testing.T) {
	w := newWorld(t)
	w.create(rollingDeployment(2, intstr.FromInt32(1), intstr.FromInt32(0)))
	w.settle()
	d := w.deployments()[0]
	d.Spec.Paused = true
	d.Spec.Template.Spec.Containers[0].Image = "img:v2"
	n := int32(3)
	d.Spec.Replicas = &n
	w.settle()
	if v1, _ := w.countPods("img:v1"); v1 != 3 || len(w.pods()) != 3 || len(w.replicaSets()) != 1 {
		t.Fatalf("paused: %d v1 pods of %d, %d ReplicaSets; want 3 v1 pods, no new ReplicaSet", v1, len(w.pods()), len(w.replicaSets()))
	}
	c := deploymentCondition(w.deployments()[0].Status.Conditions, appsv1.DeploymentProgressing)
	if c == nil || c.Status != corev1.ConditionUnknown || c.Reason != ReasonDeploymentPaused {
		t.Fatalf("paused Progressing %+v", c)
	}
	// Long after, still no deadline: a paused Deployment makes no progress by design.
	w.now = w.now.Add(time.Hour)
	w.settle()
	if c := deploymentCondition(w.deployments()[0].Status.Conditions, appsv1.DeploymentProgressing); c.Reason != ReasonDeploymentPaused {
		t.Fatalf("paused for an hour: Progressing %+v", c)
	}
	w.deployments()[0].Spec.Paused = false
	rollout(t, w, "img:v2")
	if c := deploymentCondition(w.deployments()[0].Status.Conditions, appsv1.DeploymentProgressing); c.Reason != ReasonNewReplicaSetAvailable {
		t.Fatalf("resumed: Progressing %+v", c)
	}
}

func TestScaleDuringRolloutIsProportional(t *testing.T) {
	w := newWorld(t)
	w.create(rollingDeployment(10, intstr.FromString("25%"), intstr.FromString("25%")))
	w.settle()
	w.deployments()[0].Spec.Template.Spec.Containers[0].Image = "img:v2"
	w.step()
	before := replicaTrace(w, "img:v2")
	n := int32(20)
	w.deployments()[0].Spec.Replicas = &n
	ch := ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now)
	w.apply(ch)
	after := replicaTrace(w, "img:v2")
	n = 5
	w.deployments()[0].Spec.Replicas = &n
	w.apply(ReconcileDeployment(w.deployments()[0], w.replicaSets(), w.now))
	down := replicaTrace(w, "img:v2")
	// new/old: 5/8 of 10 (+3 surge) becomes 10/15 of 20 (+5): both grow by
	// their share; then 5 (+2) shrinks both.
	testkit.GoldenJSON(t, "testdata/deployment-proportional-scale.golden", []string{before, after, down})
	if before != "5/8" || after != "10/15" {
		t.Errorf("scale 10 -> 20 mid-rollout: %s -> %s, want 5/8 -> 10/15", before, after)
	}
	rollout(t, w, "img:v2")
	if total, ready := w.countPods("img:v2"); total != 5 || ready != 5 || len(w.pods()) != 5 {
		t.Errorf("after the rollout: %d v2 pods (%d ready) of %d", total, ready, len(w.pods()))
	}
}
