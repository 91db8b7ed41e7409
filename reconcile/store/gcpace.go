package store

import (
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// The GC's pace. Go collects when the heap reaches twice the live heap
// (GOGC=100): garbage may grow by the live heap between collections. The
// store's large commits (10,000 objects) allocate hundreds of MB in a
// fraction of a second with their objects live, and a collection that
// meets them marks them all: at Go's pace such a commit took 30–50 % more
// CPU (BENCHMARKS.md, issue 8). Until December 2026 the store therefore
// let garbage grow by 320 MiB more than the live heap at all times
// (GOGC set after every collection to reach 2 × live + 320 MiB), and the
// controller's RSS followed that goal: 467 MiB with 1,000 pods and a live
// heap of 34 MiB (BENCHMARKS.md, issue 13: memory).
//
// Now the room for garbage follows what the GC costs: after every
// collection keepGCPace measures the GC's share of the process's CPU since
// the previous one (mark assists, dedicated mark workers and pauses; not
// the idle workers, which only use idle cores) and doubles the room while
// that share is over gcCPUTarget (5 %), takes a quarter off while it is
// under half that (a gentle step: the pauses between commits, I/O and
// waiting, should not take the room away before the next commit), never
// below Go's own (the live heap: GOGC=100) nor above maxGCHeadroom (the
// old 320 MiB). A burst (a large commit, a thousand pods created) reaches
// the old room within a few collections; an idle or
// steady controller collects at Go's pace and its heap, hence its RSS,
// stays near twice the live heap. CPU shares, unlike allocation per second
// of wall time (tried first: room for 5 s of allocation), do not shrink
// the room on a loaded machine, where the process gets fewer cycles. The
// heap a burst grew stays with the process until the next collection and
// Go's scavenger return it, which at a slow allocation rate may take
// minutes: settleAfter a burst with no collection since, the store goes
// back to Go's pace, collects and gives the heap back at once
// (debug.FreeOSMemory), one collection per burst. An operator's GOGC or
// GOMEMLIMIT in the environment wins: then the store leaves the GC alone.
const (
	// gcCPUTarget is the GC's share of the CPU above which garbage gets
	// more room. At 10 % the commit benchmarks took 15–21 % more CPU
	// than with the fixed room in one run at load 25–31 (BENCHMARKS.md,
	// issue 13: memory).
	gcCPUTarget = 0.05
	// maxGCHeadroom bounds the room for garbage between collections.
	maxGCHeadroom = 320 << 20
	// maxGCPercent bounds GOGC for very small live heaps (a fresh process).
	maxGCPercent = 1000
	// settleAfter: a burst is over when no collection came for this long.
	settleAfter = 10 * time.Second
)

var paceOnce sync.Once

// keepGCPace starts the pacing, once per process.
func keepGCPace() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	paceOnce.Do(func() { pace(newPacer()) })
}

// pacer is the object whose finalizer runs after every collection: pace
// sets a new finalizer on it each time. It carries the room for garbage
// and the CPU counters of the previous collection (it is larger than 16
// bytes, so the runtime's tiny allocator does not share its block:
// finalizers on tiny objects may never run).
type pacer struct {
	mu         sync.Mutex
	room       uint64  // bytes of garbage allowed between collections
	gcCPU, cpu float64 // cumulative CPU seconds: the GC's, the program's
	at         time.Time
	settling   bool // a burst's heap is due to go back (settle)
	skipWindow bool // the next window holds settle's own collection
}

var gcSample = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/cpu/classes/gc/mark/assist:cpu-seconds"},
	{Name: "/cpu/classes/gc/mark/dedicated:cpu-seconds"},
	{Name: "/cpu/classes/gc/pause:cpu-seconds"},
	{Name: "/cpu/classes/user:cpu-seconds"},
}

// readGCSample returns the live heap and the cumulative CPU seconds of
// the GC (without idle mark workers) and of the program.
func readGCSample() (live uint64, gcCPU, cpu float64) {
	metrics.Read(gcSample)
	for _, s := range gcSample[1:4] {
		gcCPU += s.Value.Float64()
	}
	return gcSample[0].Value.Uint64(), gcCPU, gcCPU + gcSample[4].Value.Float64()
}

// newPacer starts measuring from now.
func newPacer() *pacer {
	p := &pacer{at: time.Now()}
	_, p.gcCPU, p.cpu = readGCSample()
	return p
}

func pace(p *pacer) {
	p.mu.Lock()
	live, gcCPU, cpu := readGCSample()
	if !p.skipWindow {
		p.room = nextRoom(p.room, live, gcCPU-p.gcCPU, cpu-p.cpu)
	}
	p.skipWindow = false
	p.gcCPU, p.cpu, p.at = gcCPU, cpu, time.Now()
	percent := gcPercent(live, p.room)
	debug.SetGCPercent(percent)
	if percent > 100 && !p.settling {
		p.settling = true
		time.AfterFunc(settleAfter, func() { settle(p) })
	}
	p.mu.Unlock()
	runtime.SetFinalizer(p, pace)
}

// settle gives back the heap of a burst once no collection came for
// settleAfter; while collections still come, it looks again later.
func settle(p *pacer) {
	p.mu.Lock()
	quiet := time.Since(p.at)
	if quiet < settleAfter {
		p.mu.Unlock()
		time.AfterFunc(settleAfter-quiet, func() { settle(p) })
		return
	}
	p.settling = false
	p.room = 0
	p.skipWindow = true // this collection is ours, not the program's cost
	debug.SetGCPercent(100)
	p.mu.Unlock()
	debug.FreeOSMemory()
}

// nextRoom is the room for garbage after a collection: doubled while the
// GC took over gcCPUTarget of the CPU since the previous one (gcCPU of
// cpu seconds), three quarters of it while it took under half that, else
// kept; never below the live heap (Go's own room) nor above
// maxGCHeadroom.
func nextRoom(room, live uint64, gcCPU, cpu float64) uint64 {
	room = max(room, live)
	switch share := gcCPU / cpu; {
	case cpu <= 0:
	case share > gcCPUTarget:
		room = min(2*room, maxGCHeadroom)
	case share < gcCPUTarget/2:
		room = max(room-room/4, live)
	}
	return max(min(room, maxGCHeadroom), live)
}

// gcPercent is the GOGC that gives garbage room bytes over live: at least
// Go's 100, at most maxGCPercent.
func gcPercent(live, room uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(max(100*room/live, 100), maxGCPercent))
}
