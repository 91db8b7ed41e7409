package store

import (
	"bytes"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// A restore loads a checkpoint into a running view in many Badger
// transactions; the view's readers, listing all the while, see the store
// before it (every object "new") or after it (every object "old"), never
// a view emptied or part-loaded.
func TestLoadingACheckpointIsWholeForReaders(t *testing.T) {
	const n = 3000
	prefix := newPrefix(t)
	a := openEtcdView(t, "", prefix)
	writeAll := func(gen string, create bool) {
		for from := 0; from < n; from += 500 {
			err := a.Update(func(tx *Tx) error {
				for i := from; i < from+500; i++ {
					cm := configMap("default", fmt.Sprintf("cm-%04d", i), map[string]string{"gen": gen})
					if create {
						if err := tx.Create(cm); err != nil {
							return err
						}
						continue
					}
					cur, err := tx.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: cm.Name})
					if err != nil {
						return err
					}
					cur.(*corev1.ConfigMap).Data = cm.Data
					if err := tx.Update(cur); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	writeAll("old", true)
	var snap bytes.Buffer
	if _, err := a.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	writeAll("new", false)

	var stop, sawOld atomic.Bool
	var lists atomic.Int64
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				objs, _, err := a.ListShared("ConfigMap", "default")
				if err != nil {
					continue
				}
				lists.Add(1)
				gens := map[string]int{}
				for _, o := range objs {
					gens[o.(*corev1.ConfigMap).Data["gen"]]++
				}
				if len(objs) == n && len(gens) == 1 {
					if gens["old"] == n {
						sawOld.Store(true)
					}
					continue
				}
				mu.Lock()
				bad = append(bad, fmt.Sprintf("%d objects, generations %v", len(objs), gens))
				mu.Unlock()
			}
		}()
	}
	testkit.Eventually(t, time.Minute, "readers listing", func() error {
		if lists.Load() < 4 {
			return fmt.Errorf("%d lists", lists.Load())
		}
		return nil
	})
	if _, err := RestoreEtcd(bytes.NewReader(snap.Bytes()), etcdClient(t), EtcdOptions{Prefix: prefix}); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, time.Minute, "the readers see the restored store", func() error {
		if !sawOld.Load() {
			return fmt.Errorf("not yet")
		}
		return nil
	})
	stop.Store(true)
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d of %d lists saw the view part-loaded, e.g. %s", len(bad), lists.Load(), bad[0])
	}
	t.Logf("%d lists, all whole", lists.Load())
}
