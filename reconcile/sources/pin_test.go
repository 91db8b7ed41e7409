package sources

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func (h *harness) configValue(name string) string {
	h.t.Helper()
	o, err := h.st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: name})
	if err != nil {
		return "<" + err.Error() + ">"
	}
	return o.(*corev1.ConfigMap).Data["value"]
}

func TestRollbackPinsUntilResume(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	repo.Write("cm.yaml", configMap("app", "two"))
	c2 := repo.Commit("two")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}, Prune: true})
	h.run()
	h.waitStatus("web", "c2 applied", func(s Status) bool { return s.LastAppliedCommit == c2 })

	res, err := h.m.Rollback(context.Background(), "", c1[:8])
	if err != nil {
		t.Fatal(err)
	}
	if res.LastAppliedCommit != c1 || h.configValue("app") != "one" {
		t.Fatalf("rollback to c1: %+v, value %q", res, h.configValue("app"))
	}
	s := h.status("web")
	if !s.Pinned || s.PinnedCommit != c1 {
		t.Errorf("pinned to c1 after the rollback: %+v", s)
	}

	// Pinned: a new commit is fetched, shown as pending, and not applied.
	repo.Write("cm.yaml", configMap("app", "three"))
	c3 := repo.Commit("three")
	h.waitStatus("web", "c3 pending", func(s Status) bool { return s.PendingCommit == c3 })
	if h.configValue("app") != "one" || h.status("web").LastAppliedCommit != c1 {
		t.Fatalf("a pinned source applied a new commit: value %q", h.configValue("app"))
	}

	if err := h.m.Resume("web"); err != nil {
		t.Fatal(err)
	}
	h.waitStatus("web", "c3 applied after resume", func(s Status) bool { return s.LastAppliedCommit == c3 && !s.Pinned })
	if v := h.configValue("app"); v != "three" {
		t.Errorf("after resume: value %q", v)
	}

	_, hist, err := h.m.History("web")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range hist {
		got = append(got, e.Message+map[bool]string{true: " (rollback)", false: ""}[e.Rollback])
	}
	if w := "three, one (rollback), two"; strings.Join(got, ", ") != w {
		t.Errorf("history %q, want %q", strings.Join(got, ", "), w)
	}
}

func TestRollbackRefusesBadCommitsAndUnknownSources(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  value: 1\n") // not a string: invalid
	bad := repo.Commit("bad")
	repo.Write("cm.yaml", configMap("app", "two"))
	c2 := repo.Commit("two")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}, Prune: true})
	h.run()
	h.waitStatus("web", "c2 applied", func(s Status) bool { return s.LastAppliedCommit == c2 })
	for _, tc := range []struct{ source, commit, want string }{
		{"web", bad, "is not valid now"},
		{"web", "0123456789abcdef0123456789abcdef01234567", "give a commit of this repository"},
		{"nope", c2, `no source named "nope"`},
	} {
		_, err := h.m.Rollback(context.Background(), tc.source, tc.commit)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("rollback %s %s: %v, want an error with %q", tc.source, tc.commit, err, tc.want)
		}
	}
	if s := h.status("web"); s.Pinned || s.LastAppliedCommit != c2 {
		t.Errorf("a refused rollback changed the source: %+v", s)
	}
}

func TestForcePushIsAppliedAndRecorded(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	repo.Write("cm.yaml", configMap("app", "two"))
	c2 := repo.Commit("two")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir, Ref: "main"}, Prune: true})
	h.run()
	h.waitStatus("web", "c2 applied", func(s Status) bool { return s.LastAppliedCommit == c2 })

	// Rewrite history on another branch, then move main there in one step
	// (as a force-push does): c2 is dropped.
	repo.Git("checkout", "-q", "-b", "rewrite", c1)
	repo.Write("cm.yaml", configMap("app", "rewritten"))
	c3 := repo.Commit("rewritten")
	repo.Git("update-ref", "refs/heads/main", c3)
	s := h.waitStatus("web", "c3 applied", func(s Status) bool { return s.LastAppliedCommit == c3 })
	if s.LastForcedPush == nil || s.LastForcedPush.From != c2 || s.LastForcedPush.To != c3 {
		t.Errorf("status records the force-push: %+v", s.LastForcedPush)
	}
	if h.configValue("app") != "rewritten" {
		t.Errorf("value %q", h.configValue("app"))
	}
	_, hist, _ := h.m.History("")
	if len(hist) != 2 || !hist[0].Forced || hist[0].ForcedFrom != c2 || hist[1].Forced {
		t.Errorf("history flags the forced commit only: %+v", hist)
	}
	_ = reconcile.HistoryLimit
}
