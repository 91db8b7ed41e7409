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

func TestNextRoomFollowsTheGCsShareOfTheCPU(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		name       string
		room, live uint64
		gcCPU, cpu float64
		want       uint64
	}{
		{"idle: Go's room", 0, 40 * mib, 0.001, 1, 40 * mib},
		{"the GC over 5 %: doubled", 0, 40 * mib, 0.3, 1, 80 * mib},
		{"again: doubled", 80 * mib, 40 * mib, 0.06, 1, 160 * mib},
		{"bounded", 256 * mib, 40 * mib, 0.2, 1, maxGCHeadroom},
		{"between 2.5 and 5 %: kept", 160 * mib, 40 * mib, 0.04, 1, 160 * mib},
		{"under 2.5 %: a quarter off", 160 * mib, 40 * mib, 0.01, 1, 120 * mib},
		{"never below the live heap", 50 * mib, 40 * mib, 0.01, 1, 40 * mib},
		{"a live heap over the bound: Go's room", 0, 400 * mib, 0.5, 1, 400 * mib},
		{"no CPU measured: kept", 160 * mib, 40 * mib, 0, 0, 160 * mib},
	} {
		if got := nextRoom(c.room, c.live, c.gcCPU, c.cpu); got != c.want {
			t.Errorf("%s: nextRoom(%d MiB, %d MiB live, GC %.3f of %.3f s) = %d MiB, want %d MiB",
				c.name, c.room>>20, c.live>>20, c.gcCPU, c.cpu, got>>20, c.want>>20)
		}
	}
}

func TestGCPercent(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live, room uint64
		want       int
	}{
		{0, 0, maxGCPercent},
		{40 * mib, 40 * mib, 100},
		{40 * mib, 0, 100}, // never under Go's
		{40 * mib, 320 * mib, 800},
		{4 * mib, 320 * mib, maxGCPercent}, // a fresh process
	} {
		if got := gcPercent(c.live, c.room); got != c.want {
			t.Errorf("gcPercent(%d MiB live, %d MiB room) = %d, want %d", c.live>>20, c.room>>20, got, c.want)
		}
	}
}

// Opening a store on disk starts the pacing: while the GC takes much of
// the CPU (a burst of allocation) GOGC goes over Go's 100, and once the
// burst is over the store brings it back to 100 and returns the heap to
// the OS (the RSS near twice the live heap) with no collection from
// outside.
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
		for range 64 { // 64 MiB in a moment, mostly collections: a burst
			keep = append(keep, make([]byte, 1<<20))
			runtime.GC()
		}
		if p := gogc(); p <= 100 {
			return fmt.Errorf("GOGC is %d after a burst", p)
		}
		return nil
	})
	runtime.KeepAlive(keep)
	if err != nil {
		t.Fatalf("after a burst of collections with a store open: %v, want over 100", err)
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
		if p := gogc(); p != 100 {
			return fmt.Errorf("GOGC is %d", p)
		}
		if after := released(); after < before+32<<20 {
			return fmt.Errorf("heap released to the OS: %d MiB before settling, %d MiB now; want the burst's 64 MiB mostly back", before>>20, after>>20)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%v %v after the burst, want Go's 100 and the heap back", err, 3*settleAfter)
	}
}
