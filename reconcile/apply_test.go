package reconcile

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func openStore(t testing.TB) *store.Store {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

var src = SourceInfo{Name: "main", URL: "file:///repo", Ref: "main", Path: "apps"}

func commit(h string) CommitInfo {
	return CommitInfo{Hash: h, Author: "Ada <ada@example.com>", Message: "commit " + h, Time: time.Unix(1700000000, 0)}
}

func apply(t testing.TB, st *store.Store, c string, d []Desired, errs []string, opts ApplyOptions) ApplyResult {
	t.Helper()
	res, err := Apply(st, src, commit(c), d, errs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func keys(t testing.TB, st *store.Store) string {
	t.Helper()
	objs, _, err := st.List("", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, objects.KeyOf(o).String())
	}
	return strings.Join(out, " ")
}

func TestApplyCommitsInOrder(t *testing.T) {
	st := openStore(t)
	prune := ApplyOptions{Prune: true}

	// A: three objects.
	res := apply(t, st, "A", want(cm("cfg", map[string]string{"k": "1"}), deploy("web", 2, "img:v1"), deploy("api", 1, "img:v1")), nil, prune)
	if res.Created != 3 || keys(t, st) != "ConfigMap/default/cfg Deployment/default/api Deployment/default/web" {
		t.Fatalf("after A: %+v, stored %s", res, keys(t, st))
	}
	web, _ := st.Get(objects.Key{Kind: "Deployment", Namespace: "default", Name: "web"})
	if a := web.GetAnnotations(); a[objects.AnnotationSource] != "main" || a[objects.AnnotationSourcePath] != "apps/web.yaml" || a[objects.AnnotationCommit] != "A" {
		t.Errorf("annotations after A: %v", a)
	}
	rvA := st.ResourceVersion()

	// B: web scaled, api unchanged.
	res = apply(t, st, "B", want(cm("cfg", map[string]string{"k": "1"}), deploy("web", 3, "img:v1"), deploy("api", 1, "img:v1")), nil, prune)
	if res.Updated != 1 || res.Unchanged != 2 || st.ResourceVersion() != rvA+1 {
		t.Errorf("after B: %+v, rv %d (was %d)", res, st.ResourceVersion(), rvA)
	}
	web, _ = st.Get(objects.KeyOf(web))
	if *web.(*appsv1.Deployment).Spec.Replicas != 3 || web.GetGeneration() != 2 || web.GetAnnotations()[objects.AnnotationCommit] != "B" {
		t.Errorf("web after B: replicas %d gen %d", *web.(*appsv1.Deployment).Spec.Replicas, web.GetGeneration())
	}
	api, _ := st.Get(objects.Key{Kind: "Deployment", Namespace: "default", Name: "api"})
	if api.GetAnnotations()[objects.AnnotationCommit] != "A" {
		t.Error("an unchanged object was rewritten for a new commit")
	}

	// C: invalid. Nothing changes; the status shows the errors.
	rvB := st.ResourceVersion()
	res = apply(t, st, "C", want(deploy("web", 9, "img:v9")), []string{"apps/web.yaml:3:5: spec.replicas: must be >= 0"}, prune)
	if st.ResourceVersion() != rvB || len(res.Plan.Changes) != 0 {
		t.Errorf("invalid commit changed the store (rv %d → %d)", rvB, st.ResourceVersion())
	}
	s, err := GetSourceStatus(st, "main")
	if err != nil {
		t.Fatal(err)
	}
	if s.LastAppliedCommit != "B" || s.LastAttemptedCommit != "C" || len(s.Errors) != 1 || s.Objects != 3 || s.URL != "file:///repo" {
		t.Errorf("status after C: %+v", s)
	}

	// D: the api manifest is deleted: pruned. The status is clean again.
	res = apply(t, st, "D", want(cm("cfg", map[string]string{"k": "1"}), deploy("web", 3, "img:v1")), nil, prune)
	if res.Deleted != 1 || keys(t, st) != "ConfigMap/default/cfg Deployment/default/web" {
		t.Errorf("after D: %+v, stored %s", res, keys(t, st))
	}
	s, _ = GetSourceStatus(st, "main")
	if s.LastAppliedCommit != "D" || s.LastAttemptedCommit != "D" || s.Errors != nil || s.Objects != 2 || s.LastAppliedAuthor != "Ada <ada@example.com>" {
		t.Errorf("status after D: %+v", s)
	}
}

func TestApplyNeverPrunesOthers(t *testing.T) {
	st := openStore(t)
	other := SourceInfo{Name: "other"}
	if _, err := Apply(st, other, commit("X"), want(cm("theirs", nil)), nil, ApplyOptions{Prune: true}); err != nil {
		t.Fatal(err)
	}
	// An object made by hand or by a controller carries no source.
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(cm("manual", nil)) }); err != nil {
		t.Fatal(err)
	}
	apply(t, st, "A", want(cm("mine", nil)), nil, ApplyOptions{Prune: true})
	apply(t, st, "B", want(cm("mine2", nil)), nil, ApplyOptions{Prune: true})
	if got := keys(t, st); got != "ConfigMap/default/manual ConfigMap/default/mine2 ConfigMap/default/theirs" {
		t.Errorf("stored %s", got)
	}
	// Desiring another source's object is refused as a whole.
	rv := st.ResourceVersion()
	res := apply(t, st, "C", want(cm("mine2", map[string]string{"a": "b"}), cm("theirs", nil)), nil, ApplyOptions{Prune: true})
	s, _ := GetSourceStatus(st, "main")
	if st.ResourceVersion() != rv || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], `managed by source "other"`) || len(res.Plan.Errors) != 1 {
		t.Errorf("conflicting commit: rv %d→%d, status errors %q", rv, st.ResourceVersion(), s.Errors)
	}
	all, _ := ListSourceStatuses(st)
	if len(all) != 2 || all[0].Name != "main" || all[1].Name != "other" {
		t.Errorf("statuses %+v", all)
	}
}

func TestApplyEmptyCommit(t *testing.T) {
	st := openStore(t)
	apply(t, st, "A", want(cm("a", nil)), nil, ApplyOptions{Prune: true})
	res := apply(t, st, "B", nil, nil, ApplyOptions{Prune: true})
	if keys(t, st) != "ConfigMap/default/a" || len(res.Plan.Warnings) != 1 {
		t.Errorf("empty commit without AllowEmpty: stored %s, warnings %q", keys(t, st), res.Plan.Warnings)
	}
	apply(t, st, "C", nil, nil, ApplyOptions{Prune: true, AllowEmpty: true})
	if keys(t, st) != "" {
		t.Errorf("empty commit with AllowEmpty left %s", keys(t, st))
	}
}

func TestApplyKeepsStatusAndFetchError(t *testing.T) {
	st := openStore(t)
	apply(t, st, "A", want(deploy("web", 2, "i")), nil, ApplyOptions{})
	d, _ := st.Get(objects.Key{Kind: "Deployment", Namespace: "default", Name: "web"})
	d.(*appsv1.Deployment).Status.Replicas = 2
	if err := st.Update(func(tx *store.Tx) error { return tx.UpdateStatus(d) }); err != nil {
		t.Fatal(err)
	}
	apply(t, st, "B", want(deploy("web", 4, "i")), nil, ApplyOptions{})
	d, _ = st.Get(objects.KeyOf(d))
	if d.(*appsv1.Deployment).Status.Replicas != 2 {
		t.Error("apply wiped the controller's status")
	}
	if err := RecordFetchError(st, src, fmt.Errorf("dial tcp: refused")); err != nil {
		t.Fatal(err)
	}
	s, _ := GetSourceStatus(st, "main")
	if s.FetchError == "" || s.LastAppliedCommit != "B" {
		t.Errorf("after fetch error: %+v", s)
	}
}

func manyDesired(n int) []Desired {
	out := make([]Desired, n)
	for i := range out {
		d := deploy(fmt.Sprintf("app-%05d", i), 2, "localhost/reconcile-hello:v1")
		d.Namespace = fmt.Sprintf("ns%d", i%10)
		out[i] = Desired{Object: d, Path: fmt.Sprintf("apps/app-%05d.yaml", i)}
	}
	return out
}

func TestApplyTenThousandObjectsInOneTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	st := openStore(t)
	res := apply(t, st, "A", manyDesired(10000), nil, ApplyOptions{Prune: true})
	if res.Created != 10000 || st.ResourceVersion() != 10000 {
		t.Fatalf("created %d, rv %d", res.Created, st.ResourceVersion())
	}
	d := manyDesired(10000)
	*d[42].Object.(*appsv1.Deployment).Spec.Replicas = 5
	res = apply(t, st, "B", d[:9000], nil, ApplyOptions{Prune: true})
	if res.Updated != 1 || res.Deleted != 1000 || res.Unchanged != 8999 {
		t.Errorf("B: %+v", res)
	}
}
