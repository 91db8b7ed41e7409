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

func TestGCPercentKeepsTheHeadroom(t *testing.T) {
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, maxGCPercent},
		{1 << 20, maxGCPercent}, // a fresh process: bounded
		{160 << 20, 300},        // goal 2×160 + 320 MiB
		{320 << 20, 200},        // goal 2×320 + 320 MiB
		{3200 << 20, 110},       // large heaps: nearly Go's default
		{1 << 40, 100},          // never below it
	} {
		if got := gcPercent(c.live); got != c.want {
			t.Errorf("gcPercent(%d MiB) = %d, want %d", c.live>>20, got, c.want)
		}
	}
}

// Opening a store on disk starts the pacing: after a collection GOGC is
// what gcPercent says for the live heap, not Go's 100.
func TestOpenKeepsTheGCPace(t *testing.T) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		t.Skip("GOGC or GOMEMLIMIT is set: the store leaves the GC alone")
	}
	st, err := OpenWith(t.TempDir(), Options{GCInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	err = testkit.Poll(10*time.Second, func() error {
		runtime.GC()
		percent := debug.SetGCPercent(100)
		debug.SetGCPercent(percent)
		if percent <= 100 {
			return fmt.Errorf("GOGC is %d", percent)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("after a collection with a store open: %v, want over 100 (twice the live heap plus %d MiB)", err, gcHeadroom>>20)
	}
}
