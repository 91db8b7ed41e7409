package store

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The GC's pace. Go collects when the heap reaches twice the live heap
// (GOGC=100). Badger's memtable arena is live heap, so while the memtable
// was 128 MiB its 166 MB, never written but for a few pages, padded the
// live heap: garbage could grow by that much more between collections,
// and the GC ran two to six times less often in a process whose real live
// heap is small (the controller, the benchmarks: BENCHMARKS.md, issue 8).
// The memtable is small now (gc.go); keepGCPace keeps the heap goal it
// gave, in the open: after every collection it sets GOGC so that the next
// one comes at twice the live heap plus gcHeadroom. With GOGC=100 an arena
// of A bytes put the goal at 2 × (live + A), so gcHeadroom is twice the
// old arena (2 × 166 MB): the peak heap is the old one (below a live heap
// of 36 MiB maxGCPercent keeps it lower), and garbage may now fill the
// room the arena took (live + 320 MiB between collections, against live
// + 166 MB then). Half of it (160 MiB, until December 2026) kept the old
// number of collections but not their moment: the 166 MB allocation of a
// new arena used to start them while little else was live, and without it
// a commit of 10,000 new objects met one about every other time, with its
// objects live, so that it marked them all (BenchmarkApply10k: 15–21 %
// more CPU; BENCHMARKS.md, issue 8). debug.FreeOSMemory (run after large
// deletes) gives the garbage back. An operator's GOGC or GOMEMLIMIT in the
// environment wins: then the store leaves the GC alone.
const (
	gcHeadroom = 320 << 20
	// maxGCPercent bounds GOGC for very small live heaps (a fresh process).
	maxGCPercent = 1000
)

var paceOnce sync.Once

// keepGCPace starts the pacing, once per process.
func keepGCPace() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	paceOnce.Do(func() { pace(&pacer{}) })
}

// pacer is the object whose finalizer runs after every collection: pace
// sets a new finalizer on it each time. It is larger than 16 bytes so the
// runtime's tiny allocator does not share its block (finalizers on tiny
// objects may never run).
type pacer struct {
	_ [32]byte
}

var liveSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

func pace(p *pacer) {
	metrics.Read(liveSample)
	debug.SetGCPercent(gcPercent(liveSample[0].Value.Uint64()))
	runtime.SetFinalizer(p, pace)
}

// gcPercent is the GOGC that makes the next collection come at twice
// live plus gcHeadroom.
func gcPercent(live uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(100+100*gcHeadroom/live, maxGCPercent))
}
