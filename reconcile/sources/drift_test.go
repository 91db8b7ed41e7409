package sources

import (
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// editByHand changes a stored ConfigMap as an API client would.
func (h *harness) editByHand(name, value string) {
	h.t.Helper()
	key := objects.Key{Kind: "ConfigMap", Namespace: "default", Name: name}
	if err := h.st.Update(func(tx *store.Tx) error {
		o, err := tx.Get(key)
		if err != nil {
			return err
		}
		c := objects.Copy(o).(*corev1.ConfigMap)
		c.Data["value"] = value
		return tx.Update(c)
	}); err != nil {
		h.t.Fatal(err)
	}
}

func TestDriftThroughTheStoreIsHealed(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}, Prune: true})
	h.run()
	h.waitStatus("web", "c1 applied", func(s Status) bool { return s.LastAppliedCommit == c1 })

	h.editByHand("app", "by-hand")
	s := h.waitStatus("web", "drift repaired", func(s Status) bool { return s.Drift.Repaired == 1 })
	if v := h.configValue("app"); v != "one" {
		t.Errorf("value after heal: %q", v)
	}
	if l := s.Drift.Last; l == nil || l.Object != "ConfigMap/default/app" || l.Change != `data.value is "by-hand", git has "one"` || !l.Repaired || s.Drift.Found != 1 {
		t.Errorf("drift record: %+v %+v", s.Drift, l)
	}
	if s.LastAppliedCommit != c1 || s.DriftMode != reconcile.DriftHeal {
		t.Errorf("status: %+v", s)
	}
}

func TestDriftWarnReportsAndKeepsTheChange(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}, Prune: true, Drift: reconcile.DriftWarn})
	h.run()
	h.waitStatus("web", "c1 applied", func(s Status) bool { return s.LastAppliedCommit == c1 })

	h.editByHand("app", "by-hand")
	s := h.waitStatus("web", "drift found", func(s Status) bool { return s.Drift.Found == 1 })
	if v := h.configValue("app"); v != "by-hand" {
		t.Errorf("warn reverted the change: %q", v)
	}
	if s.Drift.Repaired != 0 || len(s.Drift.Unrepaired) != 1 || s.Drift.Last == nil || s.Drift.Last.Repaired {
		t.Errorf("drift record: %+v", s.Drift)
	}
	// The next commit from git wins over the hand edit.
	repo.Write("cm.yaml", configMap("app", "two"))
	c2 := repo.Commit("two")
	h.waitStatus("web", "c2 applied", func(s Status) bool { return s.LastAppliedCommit == c2 })
	if v := h.configValue("app"); v != "two" {
		t.Errorf("value after c2: %q", v)
	}
}

// An invalid newer commit keeps the last good one running; drift is healed
// against that one.
func TestDriftIsHealedWhileTheHeadIsInvalid(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	h := newHarness(t, Config{Config: gitsync.Config{Name: "web", URL: repo.Dir}, Prune: true})
	h.run()
	h.waitStatus("web", "c1 applied", func(s Status) bool { return s.LastAppliedCommit == c1 })
	repo.Write("bad.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {value: 1}\n")
	bad := repo.Commit("bad")
	h.waitStatus("web", "bad refused", func(s Status) bool { return s.LastAttemptedCommit == bad && len(s.Errors) > 0 })

	h.editByHand("app", "by-hand")
	s := h.waitStatus("web", "drift repaired", func(s Status) bool { return s.Drift.Repaired == 1 })
	if v := h.configValue("app"); v != "one" || s.LastAppliedCommit != c1 {
		t.Errorf("value %q, applied %.7s", v, s.LastAppliedCommit)
	}
}
