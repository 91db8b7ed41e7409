package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/controllers"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// BenchmarkScrape10kObjects is GET /metrics of a controller whose Badger
// store (on disk) holds 10,000 objects (1,000 Deployments, 1,000
// ReplicaSets, 5,000 Pods, 2,000 ConfigMaps, 990 Services, 10 Nodes), with
// series for every step kind, three sources and thirty API routes. The
// issue's bound is 50 ms (BENCHMARKS.md "Issue 14: metrics").
//
//	go test -run XXX -bench Scrape10k -benchtime 200x ./reconcile/metrics
func BenchmarkScrape10kObjects(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	var objs []objects.Object
	meta := func(kind, name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: "ns" + fmt.Sprint(len(objs)%10), Labels: map[string]string{"app": name}}
	}
	for i := range 1000 {
		objs = append(objs, &appsv1.Deployment{TypeMeta: metav1.TypeMeta{Kind: "Deployment", APIVersion: "apps/v1"}, ObjectMeta: meta("Deployment", fmt.Sprintf("web-%d", i))},
			&appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{Kind: "ReplicaSet", APIVersion: "apps/v1"}, ObjectMeta: meta("ReplicaSet", fmt.Sprintf("web-%d-abc", i))})
	}
	for i := range 5000 {
		objs = append(objs, &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: meta("Pod", fmt.Sprintf("web-%d", i)),
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%d", i%10), Containers: []corev1.Container{{Name: "hello", Image: "localhost/reconcile-hello:v1"}}}})
	}
	for i := range 2000 {
		objs = append(objs, &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap", APIVersion: "v1"}, ObjectMeta: meta("ConfigMap", fmt.Sprintf("cfg-%d", i)),
			Data: map[string]string{"greeting": "hi"}})
	}
	for i := range 990 {
		objs = append(objs, &corev1.Service{TypeMeta: metav1.TypeMeta{Kind: "Service", APIVersion: "v1"}, ObjectMeta: meta("Service", fmt.Sprintf("svc-%d", i))})
	}
	for i := range 10 {
		objs = append(objs, &corev1.Node{TypeMeta: metav1.TypeMeta{Kind: "Node", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("node-%d", i)},
			Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
	}
	for start := 0; start < len(objs); start += 1000 {
		err := st.Update(func(tx *store.Tx) error {
			for _, o := range objs[start:min(start+1000, len(objs))] {
				if err := tx.Create(o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	total := 0
	for _, n := range st.Counts() {
		total += n
	}
	if total != 10000 {
		b.Fatalf("store holds %d objects, want 10,000", total)
	}
	now := time.Now()
	var src fakeSources
	for _, name := range []string{"apps", "infra", "team-a"} {
		src = append(src, statusOf(name, now))
	}
	c := NewController(State{Sources: src, Store: st})
	for _, ctl := range controllers.Registry() {
		c.StepDone(ctl.Kind, time.Millisecond, false)
		c.QueueDepth(ctl.Kind, 0)
	}
	c.Scheduled(controllers.SchedulingStats{Scheduled: 10})
	for _, s := range src {
		c.CommitDone(s.Name, sources.ResultApplied, time.Second, 0)
		c.Fetched(s.Name, 10*time.Millisecond, nil)
	}
	for _, kind := range objects.Kinds() {
		c.ObserveRequest("list", kind.Plural, 200, time.Millisecond)
		c.ObserveRequest("get", kind.Plural, 404, time.Millisecond)
	}
	h := Endpoint{Addr: "127.0.0.1:0"}.Handler(c.Registry())
	req := httptest.NewRequest("GET", "/metrics", nil)
	b.ResetTimer()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("GET /metrics: %d", rec.Code)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/scrape")
}

func statusOf(name string, now time.Time) apitypes.SourceStatus {
	return apitypes.SourceStatus{SourceStatus: reconcile.SourceStatus{Name: name, LastAppliedCommit: "a", LastAttemptedCommit: "a", LastAppliedAt: now, Objects: 3000}}
}
