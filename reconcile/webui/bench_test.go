package webui_test

import (
	"fmt"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/webui/webuitest"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// oneSource is a Syncer of one source, for the overview.
type oneSource struct{ st apitypes.SourceStatus }

func (s oneSource) Trigger(string) error { return nil }
func (s oneSource) Statuses() ([]apitypes.SourceStatus, error) {
	return []apitypes.SourceStatus{s.st}, nil
}

// bigCluster stores n Deployments of source "apps" in namespace "shop",
// each with its ReplicaSet and one running pod, on three nodes; every 50th
// is still rolling out, so the overview lists problems too.
func bigCluster(tb testing.TB, n int) *store.Store {
	tb.Helper()
	st, err := store.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	one := int32(1)
	yes := true
	err = st.Update(func(tx *store.Tx) error {
		for i := range 3 {
			node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)}}
			node.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}}
			node.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi"), corev1.ResourcePods: resource.MustParse("1100")}
			node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: fmt.Sprintf("10.0.0.%d", i+1)}}
			objects.SetTypeMeta(node, "Node")
			if err := tx.Create(node); err != nil {
				return err
			}
		}
		for i := range n {
			name := fmt.Sprintf("app-%04d", i)
			meta := metav1.ObjectMeta{Name: name, Namespace: "shop", UID: types.UID("d-" + name), Generation: 1,
				Annotations: map[string]string{objects.AnnotationSource: "apps", objects.AnnotationSourcePath: name + ".yaml", objects.AnnotationCommit: "0123456789abcdef0123456789abcdef01234567"}}
			d := &appsv1.Deployment{ObjectMeta: meta, Spec: appsv1.DeploymentSpec{Replicas: &one}}
			d.Status = appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 1, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}
			if i%50 == 0 {
				d.Status.AvailableReplicas, d.Status.ReadyReplicas = 0, 0
			}
			objects.SetTypeMeta(d, "Deployment")
			owner := func(kind, n string, uid types.UID) []metav1.OwnerReference {
				return []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: kind, Name: n, UID: uid, Controller: &yes}}
			}
			rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: name + "-7d9f", Namespace: "shop", UID: types.UID("rs-" + name), Generation: 1, OwnerReferences: owner("Deployment", name, d.UID)},
				Spec: appsv1.ReplicaSetSpec{Replicas: &one}, Status: appsv1.ReplicaSetStatus{ObservedGeneration: 1, Replicas: 1, ReadyReplicas: 1, AvailableReplicas: 1}}
			objects.SetTypeMeta(rs, "ReplicaSet")
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name + "-7d9f-x1", Namespace: "shop", UID: types.UID("p-" + name), OwnerReferences: owner("ReplicaSet", rs.Name, rs.UID)},
				Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%3), Containers: []corev1.Container{{Name: "hello", Image: "localhost/reconcile-hello:v1"}}}}
			p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}},
				ContainerStatuses: []corev1.ContainerStatus{{Name: "hello", Ready: true, State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}}
			objects.SetTypeMeta(p, "Pod")
			for _, o := range []objects.Object{d, rs, p} {
				if err := tx.Create(o); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func benchServer(tb testing.TB, n int) string {
	st := bigCluster(tb, n)
	src := apitypes.SourceStatus{SourceStatus: reconcile.SourceStatus{Name: "apps", URL: "/srv/git/apps", Ref: "main",
		LastAppliedCommit: "0123456789abcdef0123456789abcdef01234567", LastAppliedAt: time.Now().Add(-3 * time.Minute), LastAppliedMessage: "scale the shop", Objects: n}}
	srv := &apiserver.Server{Store: st, Syncer: oneSource{src}}
	hs := httptest.NewServer(srv.Handler())
	tb.Cleanup(hs.Close)
	return hs.URL
}

// BenchmarkOverview1000Deployments measures what a person waits for: from
// navigation to the overview rendered (main[data-ready=overview]) in a real
// headless Chromium, over a real Badger store holding 1,000 Deployments
// (with their 1,000 ReplicaSets and 1,000 pods) behind the API server.
// BENCHMARKS.md: "Issue 14: web UI".
func BenchmarkOverview1000Deployments(b *testing.B) {
	url := benchServer(b, 1000)
	ctx, con := webuitest.Browser(b)
	var pageMs float64
	load := func() {
		b.StopTimer()
		if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"/#/"), webuitest.WaitReady("overview")); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		ms, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.firstRenderMs`))
		if err != nil {
			b.Fatal(err)
		}
		var v float64
		fmt.Sscan(ms, &v)
		pageMs += v
		b.StartTimer()
	}
	load() // warm: the browser's first page and the store's decode cache
	pageMs = 0
	b.ResetTimer()
	for b.Loop() {
		load()
	}
	b.ReportMetric(pageMs/float64(b.N), "page-ms/op")
	b.StopTimer()
	if errs := con.Errors(); len(errs) > 0 {
		b.Fatalf("console errors: %v", errs)
	}
	if dir := os.Getenv("RECONCILE_SCREENSHOTS"); dir != "" {
		if err := webuitest.Screenshot(ctx, dir, "overview-1000"); err != nil {
			b.Fatal(err)
		}
	}
}
