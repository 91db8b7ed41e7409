package bindbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// PendingResult is what RunPending measured: kube-scheduler's
// scheduler_perf window (SchedulingThroughput), in which the pods exist
// and are pending and the scheduler places and binds them.
type PendingResult struct {
	Shape Shape
	// StartToAllBound: from the Manager's start (its informer lists the
	// nodes and the pending pods first) to the watch seeing the last pod
	// bound.
	StartToAllBound time.Duration
	// Window: from the start of the first scheduling pass to the last
	// binding seen; PodsPerSecond is Pods / Window, the figure issue 13's
	// target is judged on.
	Window        time.Duration
	PodsPerSecond float64
	// CPU is the process's CPU time (user + system) over StartToAllBound;
	// WindowCPU over Window.
	CPU, WindowCPU time.Duration
	// Relists counts the Manager's informer listing again after its
	// watch fell behind the store's history.
	Relists int
}

func (r PendingResult) String() string {
	return fmt.Sprintf("%d nodes, %d pods pre-created pending: first scheduling pass → all bound %.2f s, %.0f pods/s (CPU %.2f s, %.0f pods per CPU-second); Manager start → all bound %.2f s (CPU %.2f s), %d relists",
		r.Shape.Nodes, r.Shape.Pods(), r.Window.Seconds(), r.PodsPerSecond, r.WindowCPU.Seconds(),
		float64(r.Shape.Pods())/max(r.WindowCPU.Seconds(), 1e-9), r.StartToAllBound.Seconds(), r.CPU.Seconds(), r.Relists)
}

// RunPending is scheduler_perf's way of measuring: the shape's pods are
// written pending into the store first, each ReplicaSet's 100 owned by
// it (so Kubernetes' system default spread applies to them as to
// Deployment pods), before the Manager starts; it then times the
// scheduling and binding alone. Creation through Deployments and
// ReplicaSets is Run's end-to-end figure.
func RunPending(ctx context.Context, dir string, s Shape) (PendingResult, error) {
	res := PendingResult{Shape: s}
	st, err := store.Open(dir)
	if err != nil {
		return res, err
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := writeNodes(st, s.Nodes); err != nil {
		return res, err
	}
	if err := writePendingPods(st, s); err != nil {
		return res, err
	}
	rv := st.ResourceVersion()
	obs := &firstPass{}
	relists := &countingHandler{Handler: slog.NewTextHandler(io.Discard, nil), msg: "re-listing the store"}
	start, cpu0 := time.Now(), cpuTime()
	defer startManager(ctx, st, controllers.Options{Log: slog.New(relists), Observer: obs})()
	_, last, err := waitBound(ctx, st, rv, s.Pods())
	if err != nil {
		return res, err
	}
	res.CPU = cpuTime() - cpu0
	first, firstCPU := obs.get()
	res.StartToAllBound, res.Window = last.Sub(start), last.Sub(first)
	res.WindowCPU = res.CPU - (firstCPU - cpu0)
	res.PodsPerSecond = float64(s.Pods()) / res.Window.Seconds()
	res.Relists = int(relists.n.Load())
	return res, nil
}

// writePendingPods writes the shape's ReplicaSets and their pods, pending
// (no node), 1,000 objects per transaction.
func writePendingPods(st *store.Store, s Shape) error {
	for i := range s.Deployments {
		name := fmt.Sprintf("app-%05d", i)
		rs := replicaSet(name, int32(s.Replicas))
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(rs) }); err != nil {
			return fmt.Errorf("writing ReplicaSet %s: %w", name, err)
		}
		for from := 0; from < s.Replicas; from += 1000 {
			if err := st.Update(func(tx *store.Tx) error {
				for j := from; j < min(from+1000, s.Replicas); j++ {
					if err := tx.Create(pendingPod(rs, j)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return fmt.Errorf("writing the pods of ReplicaSet %s: %w", name, err)
			}
		}
	}
	return nil
}

func replicaSet(name string, replicas int32) *appsv1.ReplicaSet {
	d := deployment(name, replicas)
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: d.Namespace, Name: name}}
	objects.SetTypeMeta(rs, "ReplicaSet")
	rs.Spec.Replicas, rs.Spec.Selector, rs.Spec.Template = d.Spec.Replicas, d.Spec.Selector, d.Spec.Template
	return rs
}

func pendingPod(rs *appsv1.ReplicaSet, i int) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: rs.Namespace, Name: fmt.Sprintf("%s-%05d", rs.Name, i),
		Labels:          rs.Spec.Template.Labels,
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rs, appsv1.SchemeGroupVersion.WithKind("ReplicaSet"))}}}
	objects.SetTypeMeta(p, "Pod")
	p.Spec = *rs.Spec.Template.Spec.DeepCopy()
	return p
}

// firstPass is an Observer that remembers when the first scheduling pass
// that placed pods started, and the process's CPU time then (taken when
// the step before it ended: the Observer is not told when a step starts).
type firstPass struct {
	mu      sync.Mutex
	lastCPU time.Duration // at the last step's end
	cand    time.Time     // start of the last scheduler step
	candCPU time.Duration
	at      time.Time
	cpu     time.Duration
	seen    bool
}

func (f *firstPass) QueueDepth(string, int) {}

func (f *firstPass) StepDone(kind string, d time.Duration, _ bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen {
		return
	}
	if kind == "#schedule" {
		f.cand, f.candCPU = time.Now().Add(-d), f.lastCPU
	}
	f.lastCPU = cpuTime()
}

func (f *firstPass) Scheduled(s controllers.SchedulingStats) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.seen && s.Scheduled > 0 {
		f.seen, f.at, f.cpu = true, f.cand, f.candCPU
	}
}

func (f *firstPass) get() (time.Time, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.at, f.cpu
}

// countingHandler counts the records whose message is msg.
type countingHandler struct {
	slog.Handler
	msg string
	n   atomic.Int64
}

func (h *countingHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.n.Add(1)
	}
	return nil
}

func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }
