package bindbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Shape is one run's cluster: Nodes Ready nodes of 32 cpu, 256 GiB and
// 110 pods, and Deployments of Replicas pods each requesting 100m cpu and
// 128 MiB.
type Shape struct {
	Nodes, Deployments, Replicas int
}

// PodsPerNode is issue 13's density: 150,000 pods on 5,000 nodes.
const PodsPerNode = 30

// ShapeFor is the density at a cluster size: 30 pods per node in
// Deployments of 100 (5,000 nodes: 1,500 Deployments, 150,000 pods).
func ShapeFor(nodes int) Shape {
	return Shape{Nodes: nodes, Deployments: max(nodes*PodsPerNode/100, 1), Replicas: 100}
}

// Pods is how many pods the shape's Deployments ask for.
func (s Shape) Pods() int { return s.Deployments * s.Replicas }

// Result is what one run measured.
type Result struct {
	Shape Shape
	// CommitToAllBound: from the Deployments' transaction returning to the
	// watch seeing the last pod bound.
	CommitToAllBound time.Duration
	// FirstBound: from the commit to the first pod bound (the Deployment
	// and ReplicaSet steps' share before the scheduler starts).
	FirstBound time.Duration
	// PodsPerSecond is Pods / CommitToAllBound: scheduled and bound, the
	// binding writes in the store included.
	PodsPerSecond float64
	// BindPodsPerSecond is the pods bound per second between the first
	// and the last binding (the scheduler's own pace once pods exist).
	BindPodsPerSecond float64
	// CPU is the process's CPU time (user + system) over CommitToAllBound:
	// on a shared machine the figure that depends least on the others.
	CPU time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%d nodes, %d pods: commit → all bound %.2f s (first bound %.2f s), %.0f pods/s, %.0f pods/s between first and last binding, CPU %.2f s",
		r.Shape.Nodes, r.Shape.Pods(), r.CommitToAllBound.Seconds(), r.FirstBound.Seconds(), r.PodsPerSecond, r.BindPodsPerSecond, r.CPU.Seconds())
}

// Run opens a store in dir (an empty directory; the caller removes it),
// writes the shape's nodes, starts a Manager, commits the Deployments in
// one transaction and waits until every pod is bound or ctx is done.
func Run(ctx context.Context, dir string, s Shape) (Result, error) {
	res := Result{Shape: s}
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
	defer startManager(ctx, st, controllers.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})()

	rv := st.ResourceVersion()
	cpu0 := cpuTime()
	if err := st.Update(func(tx *store.Tx) error {
		for i := range s.Deployments {
			if err := tx.Create(deployment(fmt.Sprintf("app-%05d", i), int32(s.Replicas))); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return res, fmt.Errorf("committing %d Deployments: %w", s.Deployments, err)
	}
	commit := time.Now()
	first, last, err := waitBound(ctx, st, rv, s.Pods())
	if err != nil {
		return res, err
	}
	res.CPU = cpuTime() - cpu0
	res.CommitToAllBound, res.FirstBound = last.Sub(commit), max(first.Sub(commit), 0)
	res.PodsPerSecond = float64(s.Pods()) / res.CommitToAllBound.Seconds()
	if d := last.Sub(first); d > 0 {
		res.BindPodsPerSecond = float64(s.Pods()) / d.Seconds()
	}
	return res, nil
}

// startManager runs a controllers Manager on st until ctx ends; the
// returned stop cancels it and waits for it. No agent heartbeats here: a
// grace period longer than any run keeps the nodes Ready.
func startManager(ctx context.Context, st *store.Store, o controllers.Options) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	o.NodeLifecycle = controllers.NodeLifecycle{MonitorGracePeriod: 24 * time.Hour}
	done := make(chan error, 1)
	go func() { done <- controllers.NewManager(st, o).Run(ctx) }()
	return func() { cancel(); <-done }
}

// writeNodes writes n Ready nodes, 1,000 per transaction.
func writeNodes(st *store.Store, n int) error {
	now := time.Now()
	for from := 0; from < n; from += 1000 {
		if err := st.Update(func(tx *store.Tx) error {
			for i := from; i < min(from+1000, n); i++ {
				if err := tx.Create(node(fmt.Sprintf("node-%05d", i), i, now)); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return fmt.Errorf("writing nodes %d..%d: %w", from, min(from+1000, n)-1, err)
		}
	}
	return nil
}

func node(name string, i int, now time.Time) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		corev1.LabelHostname: name, corev1.LabelTopologyZone: fmt.Sprintf("zone-%d", i%10),
	}}}
	objects.SetTypeMeta(n, "Node")
	n.Status.Capacity = corev1.ResourceList{
		corev1.ResourceCPU: resource.MustParse("32"), corev1.ResourceMemory: resource.MustParse("256Gi"), corev1.ResourcePods: resource.MustParse("110"),
	}
	n.Status.Allocatable = n.Status.Capacity.DeepCopy()
	controllers.MarkHeartbeat(n, now)
	return n
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	objects.SetTypeMeta(d, "Deployment")
	d.Spec.Replicas = &replicas
	d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": name}}
	d.Spec.Template.Labels = map[string]string{"app": name}
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "app", Image: "localhost/reconcile-hello:v1",
		Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi"),
		}}}}
	return d
}

// waitBound follows the store's watch from rv until want pods are bound
// and returns when the first and the last were seen. A watch that ends
// (it fell out of the store's history) is resumed after a list.
func waitBound(ctx context.Context, st *store.Store, rv uint64, want int) (first, last time.Time, err error) {
	bound := map[string]bool{}
	see := func(p *corev1.Pod, deleted bool) {
		k := p.Namespace + "/" + p.Name
		if deleted || p.Spec.NodeName == "" || bound[k] {
			return
		}
		bound[k] = true
		last = time.Now()
		if first.IsZero() {
			first = last
		}
	}
	for len(bound) < want {
		evs, err := st.WatchShared(ctx, rv) // only read: no copy per event
		if errors.Is(err, store.ErrGone) {
			objs, listRV, lerr := st.ListShared("Pod", "")
			if lerr != nil {
				return first, last, lerr
			}
			for _, o := range objs {
				see(o.(*corev1.Pod), false)
			}
			rv = listRV
			continue
		}
		if err != nil {
			return first, last, err
		}
		for ev := range evs {
			if p, ok := ev.Object.(*corev1.Pod); ok {
				see(p, ev.Type == store.Deleted)
			}
			rv = max(rv, ev.ResourceVersion)
			if len(bound) >= want {
				return first, last, nil
			}
		}
		if ctx.Err() != nil {
			return first, last, fmt.Errorf("%d of %d pods bound: %w", len(bound), want, ctx.Err())
		}
	}
	return first, last, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
