package reconcile

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func webService(name string) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": name}, Ports: []corev1.ServicePort{{Port: 80}}}}
	objects.SetTypeMeta(s, "Service")
	return s
}

func pod(name string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "x"}}}}
	objects.SetTypeMeta(p, "Pod")
	return p
}

// The plan creates and updates in dependency order (namespaces, then the
// config and secrets pods read, then services before the pods behind
// them, then workloads) and deletes last, dependants first.
func TestPlanAppliesInDependencyOrder(t *testing.T) {
	stored := []objects.Object{
		storedAs(ns("old"), "s", "apps/old.yaml"),
		storedAs(deploy("gone", 1, "x"), "s", "apps/gone.yaml"),
		storedAs(cm("gone-cfg", map[string]string{"a": "b"}), "s", "apps/gone-cfg.yaml"),
	}
	desired := want(deploy("web", 1, "x"), pod("solo"), webService("web"), secret("pw", map[string]string{"p": "q"}), cm("cfg", nil), ns("team"))
	p := PlanChanges(desired, stored, PlanOptions{Source: "s", Prune: true})
	var got []string
	for _, c := range p.Changes {
		got = append(got, string(c.Action)+" "+c.Key.String())
	}
	wantOrder := []string{
		"create Namespace/team", "create ConfigMap/default/cfg", "create Secret/default/pw", "create Service/default/web",
		"create Pod/default/solo", "create Deployment/default/web",
		"delete Deployment/default/gone", "delete ConfigMap/default/gone-cfg", "delete Namespace/old",
	}
	if strings.Join(got, "\n") != strings.Join(wantOrder, "\n") {
		t.Errorf("plan order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantOrder, "\n"))
	}
}

// Apply writes in the plan's order: watchers (controllers, agents) see a
// Secret before the Deployment that reads it.
func TestApplyWritesInPlanOrder(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events, err := st.Watch(ctx, st.ResourceVersion())
	if err != nil {
		t.Fatal(err)
	}
	desired := want(deploy("web", 1, "x"), webService("web"), secret("pw", map[string]string{"p": "q"}), cm("cfg", nil), ns("team"))
	if _, err := Apply(st, SourceInfo{Name: "s"}, CommitInfo{Hash: "c1"}, desired, nil, ApplyOptions{Prune: true}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < len(desired) {
		ev := <-events
		got = append(got, objects.KeyOf(ev.Object).Kind)
	}
	if w := "Namespace ConfigMap Secret Service Deployment"; strings.Join(got, " ") != w {
		t.Errorf("write order %v, want %s", got, w)
	}
}

func TestHistoryRecordsAppliedCommitsNewestFirst(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	src := SourceInfo{Name: "s"}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mustApply := func(c CommitInfo, errs []string, objs ...objects.Object) {
		t.Helper()
		if _, err := Apply(st, src, c, want(objs...), errs, ApplyOptions{Prune: true}); err != nil {
			t.Fatal(err)
		}
	}
	mustApply(CommitInfo{Hash: "c1", Author: "Ann", Message: "first", Time: at}, nil, deploy("web", 1, "x"), webService("web"))
	mustApply(CommitInfo{Hash: "c2", Author: "Bob", Message: "broken", Time: at}, []string{"a.yaml:1:1: x: bad"}, deploy("web", 1, "x"))
	mustApply(CommitInfo{Hash: "c3", Author: "Bob", Message: "scale, drop svc", Time: at, ForcedFrom: "c1"}, nil, deploy("web", 3, "x"), cm("cfg", nil))
	mustApply(CommitInfo{Hash: "c1", Author: "Ann", Message: "first", Time: at, Rollback: true}, nil, deploy("web", 1, "x"), webService("web"))

	h, err := GetHistory(st, "s")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h {
		got = append(got, e.Commit+" "+e.Author+" "+e.Summary+" forced="+e.ForcedFrom+" rollback="+map[bool]string{true: "yes", false: "no"}[e.Rollback])
	}
	w := []string{
		"c1 Ann Service +1, Deployment ~1, ConfigMap -1 forced= rollback=yes",
		"c3 Bob ConfigMap +1, Deployment ~1, Service -1 forced=c1 rollback=no",
		"c1 Ann Service +1, Deployment +1 forced= rollback=no",
	}
	if strings.Join(got, "\n") != strings.Join(w, "\n") {
		t.Errorf("history (the refused c2 must be missing):\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(w, "\n"))
	}
	s, err := GetSourceStatus(st, "s")
	if err != nil {
		t.Fatal(err)
	}
	if s.LastForcedPush == nil || s.LastForcedPush.From != "c1" || s.LastForcedPush.To != "c3" {
		t.Errorf("status records the force-push c1 → c3: got %+v", s.LastForcedPush)
	}
}

func TestHistoryKeepsTheNewestHundred(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i := range HistoryLimit + 5 {
		c := CommitInfo{Hash: "c" + strings.Repeat("x", i%3) + string(rune('a'+i%26)), Message: "m"}
		if _, err := Apply(st, SourceInfo{Name: "s"}, c, want(deploy("web", int32(i+1), "x")), nil, ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := GetHistory(st, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != HistoryLimit {
		t.Fatalf("%d entries, want %d", len(h), HistoryLimit)
	}
	if h[0].Summary != "Deployment ~1" {
		t.Errorf("newest first: %+v", h[0])
	}
}
