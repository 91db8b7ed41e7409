package store

import (
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// anonRSS is this process's resident anonymous memory (RssAnon in
// /proc/self/status): the Go heap that is backed by RAM, without the
// store's memory-mapped files.
func anonRSS(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Skipf("no /proc/self/status (%v): resident memory is measured on Linux only", err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "RssAnon:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("RssAnon in /proc/self/status: %v", err)
			}
			return kb << 10
		}
	}
	t.Skip("no RssAnon in /proc/self/status")
	return 0
}

// After large objects are deleted, the collection flushes the memtable,
// and Badger cuts a new memtable's arena from Go's heap; Go zeroes the
// freed heap it reuses for it, so the whole arena becomes resident. The
// memtable is small for that reason (gc.go): the process's memory comes
// back to where it was plus at most that arena and what Badger keeps
// after a compaction and a value-log GC (its block cache, up to 32 MiB,
// and pooled table-builder buffers: 15 to 35 MB here). With the 128 MiB
// memtable of before, it stayed 166 MB more about two runs in three.
func TestMemoryComesBackAfterLargeObjectsGo(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 76 MB")
	}
	st, err := OpenWith(t.TempDir(), Options{GCInterval: -1, MaxValueBytes: 10 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	create(t, st, configMap("default", "small", map[string]string{"a": "b"}))
	debug.FreeOSMemory()
	start := anonRSS(t)

	const n, size = 8, 9_500_000
	for i := range n {
		cm := bigConfigMap(i, size)
		cm.Name = fmt.Sprintf("big-%d", i)
		create(t, st, cm)
	}
	if err := st.Update(func(tx *Tx) error {
		for i := range n {
			if err := tx.Delete(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: fmt.Sprintf("big-%d", i)}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	st.CollectGarbage()
	if e, _ := st.gcErr.Load().(string); e != "" {
		t.Fatalf("GC error: %s", e)
	}
	debug.FreeOSMemory()
	after := anonRSS(t)
	arena := memtableArenaBytes(memTableSize(defaultTxnObjects))
	const slack = 48 << 20
	t.Logf("anonymous RSS: %d MB before the large objects, %d MB after they were deleted and collected (memtable arena %d MB)",
		start>>20, after>>20, arena>>20)
	if after-start > arena+slack {
		t.Fatalf("resident memory grew by %d MB after the large objects went (from %d to %d MB), over the memtable's arena (%d MB) and %d MB",
			(after-start)>>20, start>>20, after>>20, arena>>20, slack>>20)
	}
}

func TestMemtableHoldsACommitOfTheLimit(t *testing.T) {
	for _, c := range []struct {
		objects int
		want    int64
	}{
		{0, 8 << 20},
		{1_000, 8 << 20},
		{10_000, 9 << 20},
		{50_000, 42 << 20},
	} {
		got := memTableSize(c.objects)
		if got != c.want {
			t.Errorf("memTableSize(%d) = %d MiB, want %d MiB", c.objects, got>>20, c.want>>20)
		}
		// Badger's bound on a transaction's entries.
		if entries := got * 15 / 100 / 96; entries <= txnEntries(c.objects) {
			t.Errorf("memTableSize(%d): Badger takes %d entries per transaction, not the %d a commit may write", c.objects, entries, txnEntries(c.objects))
		}
	}
}

// A commit of the default limit (10,000 objects, a third of them Services
// that each claim a ClusterIP: side records) that also prunes 1,000 stored
// objects is one transaction.
func TestCommitOfTheLimitThatPrunesFits(t *testing.T) {
	if testing.Short() {
		t.Skip("large")
	}
	st, err := OpenWith(t.TempDir(), Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	old := manyDeployments(1000)
	for _, o := range old {
		o.SetName("old-" + o.GetName())
	}
	create(t, st, old...)
	err = st.Update(func(tx *Tx) error {
		for _, o := range manyDeployments(10000) {
			if err := tx.Create(o); err != nil {
				return err
			}
		}
		for i := range 3334 { // as package reconcile records a Service's ClusterIP
			if err := tx.PutMeta(fmt.Sprintf("alloc/clusterip/10.96.%d.%d", i/256, i%256), "Service/default/svc"); err != nil {
				return err
			}
		}
		for _, o := range old {
			if err := tx.Delete(objects.KeyOf(o)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("10,000 creates, 3,334 side records and 1,000 deletes in one transaction: %v", err)
	}
}
