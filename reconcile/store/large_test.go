package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

func manyDeployments(n int) []objects.Object {
	out := make([]objects.Object, n)
	for i := range out {
		d := deployment(fmt.Sprintf("ns%d", i%10), fmt.Sprintf("app-%05d", i), 2)
		d.Annotations = map[string]string{"reconcile.dev/source": "main", "reconcile.dev/source-path": fmt.Sprintf("apps/app-%05d.yaml", i)}
		out[i] = d
	}
	return out
}

// A git commit of 10,000 objects must land in one Badger transaction.
func TestTenThousandObjectsInOneTransaction(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	eachBackend(t, func(t *testing.T, st *Store) {
		ch, _ := st.Watch(context.Background(), 0)
		objs := manyDeployments(10000)
		create(t, st, objs...)
		if st.ResourceVersion() != 10000 {
			t.Fatalf("rv = %d", st.ResourceVersion())
		}
		// And 10,000 updates in one transaction.
		err := st.Update(func(tx *Tx) error {
			for _, o := range objs {
				o.SetLabels(map[string]string{"app": o.GetName(), "v": "2"})
				if err := tx.Update(o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		l, rv, err := st.List("Deployment", "")
		if err != nil || len(l) != 10000 || rv != 20000 {
			t.Fatalf("list: %d objects rv %d err %v", len(l), rv, err)
		}
		// The watcher that did not read yet was closed (history 10,000 < 20,000
		// events) or gets every event in order; never a gap.
		last := uint64(0)
		for ev := range ch {
			if ev.ResourceVersion != last+1 {
				t.Fatalf("gap: %d after %d", ev.ResourceVersion, last)
			}
			last = ev.ResourceVersion
			if last == 20000 {
				break
			}
		}
	})
}

func BenchmarkList10k(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			create(b, st, manyDeployments(10000)...)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if l, _, err := st.List("Deployment", ""); err != nil || len(l) != 10000 {
					b.Fatal(len(l), err)
				}
			}
		})
	}
}

// BenchmarkListShared10k is List without copies, from a warm cache.
func BenchmarkListShared10k(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			st := be.open(b)
			create(b, st, manyDeployments(10000)...)
			st.ListShared("", "") // warm the cache, as a running controller has it
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if l, _, err := st.ListShared("Deployment", ""); err != nil || len(l) != 10000 {
					b.Fatal(len(l), err)
				}
			}
		})
	}
}

func BenchmarkCreate10kOneTransaction(b *testing.B) {
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				st := be.open(b)
				objs := manyDeployments(10000)
				b.StartTimer()
				create(b, st, objs...)
				b.StopTimer()
				st.Close()
				b.StartTimer()
			}
		})
	}
}
