package reconcile

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func TestDriftCheckHealsOrWarns(t *testing.T) {
	for _, mode := range []DriftMode{DriftHeal, DriftWarn} {
		t.Run(string(mode), func(t *testing.T) {
			st, err := store.OpenInMemory()
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			src, c1 := SourceInfo{Name: "s"}, CommitInfo{Hash: "c1", Message: "one"}
			desired := want(deploy("web", 1, "x"))
			if _, err := Apply(st, src, c1, desired, nil, ApplyOptions{Prune: true}); err != nil {
				t.Fatal(err)
			}
			check := func() SourceStatus {
				t.Helper()
				c := c1
				c.Drift = mode
				res, err := Apply(st, src, c, desired, nil, ApplyOptions{Prune: true})
				if err != nil {
					t.Fatal(err)
				}
				return res.Status
			}
			if s := check(); s.Drift.Found != 0 || s.Drift.Last != nil {
				t.Fatalf("no drift yet: %+v", s.Drift)
			}
			key := objects.Key{Kind: "Deployment", Namespace: "default", Name: "web"}
			if err := st.Update(func(tx *store.Tx) error { // a hand edit through the API
				o, err := tx.Get(key)
				if err != nil {
					return err
				}
				d := objects.Copy(o).(*appsv1.Deployment)
				five := int32(5)
				d.Spec.Replicas = &five
				return tx.Update(d)
			}); err != nil {
				t.Fatal(err)
			}
			s := check()
			s = check() // a second check counts a drift still there once
			o, _ := st.Get(key)
			replicas := *o.(*appsv1.Deployment).Spec.Replicas
			last := s.Drift.Last
			if last == nil || last.Object != key.String() || last.Change != "spec.replicas is 5, git has 1" {
				t.Fatalf("last drift: %+v", last)
			}
			switch mode {
			case DriftHeal:
				if replicas != 1 || s.Drift.Found != 1 || s.Drift.Repaired != 1 || !last.Repaired {
					t.Errorf("heal: replicas %d, drift %+v", replicas, s.Drift)
				}
			case DriftWarn:
				if replicas != 5 || s.Drift.Found != 1 || s.Drift.Repaired != 0 || last.Repaired || len(s.Drift.Unrepaired) != 1 {
					t.Errorf("warn: replicas %d, drift %+v", replicas, s.Drift)
				}
			}
			if s.LastAppliedCommit != "c1" {
				t.Errorf("a drift check is no new apply: %+v", s)
			}
			if h, _ := GetHistory(st, "s"); len(h) != 1 {
				t.Errorf("drift checks add no history: %d entries", len(h))
			}
		})
	}
}
