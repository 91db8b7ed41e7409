package store

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

func TestGCPercentFollowsTheAllocationRate(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name      string
		live      uint64
		allocated uint64
		elapsed   time.Duration
		want      int
	}{
		{"nothing live", 0, 0, time.Second, maxGCPercent},
		{"idle: half the live heap", 40 * mib, 1 * mib, 10 * time.Second, minGCPercent},
		{"steady: room for 5 s of it", 40 * mib, 60 * mib, 10 * time.Second, 75},
		{"6 MiB a second: room for 5 s of it", 40 * mib, 12 * mib, 2 * time.Second, 75},
		{"16 MiB a second: room for 5 s of it", 40 * mib, 32 * mib, 2 * time.Second, 200},
		{"a burst: twice the live heap, not 320 MiB", 40 * mib, 400 * mib, time.Second, 200},
		{"a burst on a small live heap: minBurstRoom", 16 * mib, 400 * mib, time.Second, 400},
		{"a burst in a fresh process: GOGC bounded", 2 * mib, 100 * mib, 100 * time.Millisecond, maxGCPercent},
		{"a large live heap allocating fast: half of it, not Go's 100", 3200 * mib, 4000 * mib, time.Second, minGCPercent},
		{"a live heap over the bound allocating fast: the bound", 480 * mib, 4000 * mib, time.Second, 66},
		{"a large live heap allocating slowly: half of it", 3200 * mib, 100 * mib, 10 * time.Second, minGCPercent},
		{"same instant", 40 * mib, 0, 0, 200},
	} {
		if got := gcPercent(c.live, c.allocated, c.elapsed); got != c.want {
			t.Errorf("%s: gcPercent(%d MiB live, %d MiB in %v) = %d, want %d", c.name, c.live>>20, c.allocated>>20, c.elapsed, got, c.want)
		}
	}
}

// The soft limit follows gcPercent while the live heap holds, and the
// allocation rate's room without the burst's bound while it grows or
// shrinks fast: back-to-back commits must not meet it at every few MiB.
func TestLimitPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name           string
		live, prevLive uint64
		allocated      uint64
		elapsed        time.Duration
		want           int
	}{
		{"idle: half the live heap", 40 * mib, 40 * mib, 1 * mib, 10 * time.Second, minGCPercent},
		{"a burst of garbage: gcPercent's twice the live heap", 40 * mib, 38 * mib, 400 * mib, time.Second, 200},
		{"a live heap growing by a quarter: still gcPercent's", 50 * mib, 40 * mib, 400 * mib, time.Second, 200},
		{"a live heap growing by more: the rate's 320 MiB", 80 * mib, 40 * mib, 400 * mib, time.Second, 400},
		{"a live heap shrinking by more (a commit done): the rate's 320 MiB", 20 * mib, 80 * mib, 400 * mib, time.Second, 1000},
		{"a live heap shrinking by less: gcPercent's", 70 * mib, 80 * mib, 400 * mib, time.Second, 200},
		{"a fresh process", 4 * mib, 0, 400 * mib, time.Second, maxGCPercent},
		{"nothing live", 0, 0, 0, time.Second, maxGCPercent},
	} {
		if got := limitPercent(c.live, c.prevLive, c.allocated, c.elapsed); got != c.want {
			t.Errorf("%s: limitPercent(%d MiB live, %d before, %d MiB in %v) = %d, want %d", c.name, c.live>>20, c.prevLive>>20, c.allocated>>20, c.elapsed, got, c.want)
		}
	}
}

// Opening a store on disk starts the pacing: after a collection that
// followed fast allocation GOGC is over the slow pace (minGCPercent), and
// once the burst is over the store brings it back and returns the heap to the OS
// (the RSS near twice the live heap) with no collection from outside.
func TestOpenKeepsTheGCPace(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: the store leaves the GC alone")
	}
	st, err := OpenWith(t.TempDir(), Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	gogc := func() int {
		percent := debug.SetGCPercent(100)
		debug.SetGCPercent(percent)
		return percent
	}
	var keep [][]byte
	err = testkit.Poll(10*time.Second, func() error {
		keep = nil
		for range 64 { // 64 MiB in a moment: a burst
			keep = append(keep, make([]byte, 1<<20))
		}
		runtime.GC()
		if p := gogc(); p <= minGCPercent {
			return fmt.Errorf("GOGC is %d after a burst", p)
		}
		return nil
	})
	runtime.KeepAlive(keep)
	if err != nil {
		t.Fatalf("after a burst of allocation with a store open: %v, want over %d (room for 5 s of it)", err, minGCPercent)
	}
	// No collection of ours from here: the store's own, settleAfter the
	// burst, brings GOGC back and the heap to the OS.
	released := func() uint64 {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapReleased
	}
	before := released()
	keep = nil
	err = testkit.Poll(3*settleAfter, func() error {
		if p := gogc(); p > minGCPercent { // the quiet stretch's pace
			return fmt.Errorf("GOGC is %d", p)
		}
		if after := released(); after < before+32<<20 {
			return fmt.Errorf("heap released to the OS: %d MiB before settling, %d MiB now; want the burst's 64 MiB mostly back", before>>20, after>>20)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v %v after the burst, want GOGC %d and the heap back", err, 3*settleAfter, minGCPercent)
	}
}

func TestMemoryLimitFollowsTheHeapGoal(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name          string
		live, nonHeap uint64
		percent       int
		want          int64
	}{
		{"a fresh process: the slack", 0, 10 * mib, maxGCPercent, 42 * mib},
		{"idle at GOGC 50: goal, a quarter of it, stacks, slack", 100 * mib, 20 * mib, 50, (150+37+20+32)*mib + mib/2},
		{"a burst's room", 200 * mib, 40 * mib, 160, (520 + 130 + 40 + 32) * mib},
	} {
		if got := memoryLimit(c.live, c.percent, c.nonHeap); got != c.want {
			t.Errorf("%s: memoryLimit(%d MiB live, GOGC %d, %d MiB other) = %.1f MiB, want %.1f", c.name, c.live>>20, c.percent, c.nonHeap>>20, float64(got)/mib, float64(c.want)/mib)
		}
	}
}
