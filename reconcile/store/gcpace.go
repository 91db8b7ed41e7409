package store

import (
	"math"
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
// Now the room for garbage follows what the process needs: after every
// collection keepGCPace measures how fast the heap was allocated since the
// previous one, and gives garbage the room that allocation rate fills in
// minGCInterval (5 s), never less than half the live heap (GOGC=50,
// minGCPercent), never more than twice the live heap or minBurstRoom,
// whichever is more (maxBurstPercent), nor more than maxGCHeadroom (the
// old 320 MiB) unless half the live heap is more, with a soft memory limit
// to match (memoryLimit; from the allocation rate's room alone while the
// live heap grows or shrinks fast: limitPercent). An idle or steady
// controller collects when its garbage reaches half the live heap, and its
// heap, hence its RSS (Go's scavenger returns what lies above the goal),
// stays near 1.5 times the live heap; a burst gets at most twice the live
// heap (GOGC=200). Below Go's pace costs little CPU here: the room is at least what minGCInterval of
// allocation fills, so a collection comes at most every 5 s outside a
// burst (one mark of a 60 MB live heap, tens of ms, every 5 s or less
// often); Go's 100 held the controller at 1,000 pods 30 MiB higher
// (BENCHMARKS.md, issue 13: memory, round 2). Until round 4 of issue 13 a
// burst got the whole 320 MiB whatever the live heap: the 1,000-pod burst
// of a controller with a 50 MB live heap allocates about 350 MB within
// seconds, so it ran with almost no collection and its RSS peaked at
// 310–350 MiB, and the long-lived objects the burst left (decoded pods,
// informer copies, the watch history) were spread over the spans of all
// that garbage, which Go cannot compact: 105–120 MiB of heap in use for a
// 50 MB live heap long after. With the room bounded by the live heap the
// peak is 20–30 MiB over the settled figure, 190–200 MiB instead of
// 330–350 (BENCHMARKS.md, issue 13: memory (round 4)).
// The heap a burst grew stays with the process until the next collection
// and Go's scavenger return it, which at a slow allocation rate may take
// minutes: settleAfter a burst with no collection since, the store
// collects and gives it back at once (debug.FreeOSMemory), one collection
// per burst. An operator's GOGC or GOMEMLIMIT in the environment wins:
// then the store leaves the GC alone.
const (
	// minGCInterval is how far apart collections may come while the
	// process allocates fast, until the garbage reaches maxGCHeadroom.
	// A second was too short: on a loaded machine a commit of
	// 10,000 objects allocates 350 MB at 100–200 MB a second of wall
	// time, and 1 s of room brought back the collections that
	// meet it (BenchmarkApply10k +35 % CPU at load 12; BENCHMARKS.md,
	// issue 13: memory). Measured against the GC's share of the CPU
	// instead (room doubled while collections took over 5 or 10 % of
	// the CPU, cut under half that), the room was load-independent but
	// the commit benchmarks took 15–55 % more CPU than with the fixed
	// room, against −3 % and +6 % (medians of three) with this.
	minGCInterval = 5 * time.Second
	// minGCPercent: the least room for garbage, as a share of the live
	// heap, when the process allocates slowly.
	minGCPercent = 50
	// maxGCHeadroom bounds the room for garbage between collections.
	maxGCHeadroom = 320 << 20
	// maxBurstPercent bounds the room for garbage as a share of the live
	// heap (GOGC=200), and minBurstRoom is the room a small live heap may
	// have all the same (a fresh process, a commit starting from a small
	// store), so that a commit that builds a large live heap is not
	// collected every few MiB. Go's own 100 with 32 MiB cost the commit
	// benchmarks 2 to 4 times the CPU of the 320 MiB of before (30–40 %
	// with limitPercent), 200 with 64 MiB and limitPercent about 15 % on
	// BenchmarkApply10k and nothing on the 1,000-Deployment commit
	// (BENCHMARKS.md, issue 13: memory (round 4)).
	maxBurstPercent = 200
	minBurstRoom    = 64 << 20
	// maxGCPercent bounds GOGC for very small live heaps (a fresh process).
	maxGCPercent = 1000
	// minLimitSlack is added to the soft memory limit so that a small
	// process (a live heap of a few MiB) is not collected at every
	// goroutine's start.
	minLimitSlack = 32 << 20
	// settleAfter: a burst is over when no collection came for this long.
	settleAfter = 10 * time.Second
)

var paceOnce sync.Once

// keepGCPace starts the pacing, once per process.
func keepGCPace() {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return
	}
	paceOnce.Do(func() {
		p := &pacer{}
		p.allocs, p.at = readGCSample(), time.Now()
		pace(p)
	})
}

// pacer is the object whose finalizer runs after every collection: pace
// sets a new finalizer on it each time. It carries the cumulative heap
// allocation and the time of the previous collection (it is larger than
// 16 bytes, so the runtime's tiny allocator does not share its block:
// finalizers on tiny objects may never run).
type pacer struct {
	mu     sync.Mutex
	allocs uint64 // cumulative bytes allocated at the previous collection
	live   uint64 // the live heap the previous collection left
	at     time.Time
	// settling: a burst gave garbage more room than Go would, and settle
	// is due to give the heap back once the burst is over.
	settling bool
}

var gcSample = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/gc/heap/allocs:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
}

// nonHeap is what the runtime holds besides the heap's spans (goroutine
// stacks, GC metadata, the runtime's own), from the last readGCSample.
func nonHeap() uint64 {
	v := func(i int) uint64 { return gcSample[i].Value.Uint64() }
	heap := v(3) + v(4) + v(5) + v(6)
	if v(2) < heap {
		return 0
	}
	return v(2) - heap
}

// readGCSample reads the live heap and the cumulative allocation into
// gcSample and returns the allocation.
func readGCSample() uint64 {
	metrics.Read(gcSample)
	return gcSample[1].Value.Uint64()
}

func pace(p *pacer) {
	p.mu.Lock()
	allocs, now := readGCSample(), time.Now()
	live := gcSample[0].Value.Uint64()
	allocated, elapsed := allocs-p.allocs, now.Sub(p.at)
	percent := gcPercent(live, allocated, elapsed)
	debug.SetGCPercent(percent)
	debug.SetMemoryLimit(memoryLimit(live, limitPercent(live, p.live, allocated, elapsed), nonHeap()))
	p.allocs, p.live, p.at = allocs, live, now
	if percent > minGCPercent && !p.settling {
		p.settling = true
		time.AfterFunc(settleAfter, func() { settle(p) })
	}
	p.mu.Unlock()
	runtime.SetFinalizer(p, pace)
}

// memoryLimit is the soft limit (debug.SetMemoryLimit) that goes with a
// GOGC of percent over a live heap: the heap goal, a quarter of it more for
// the spans' fragmentation (objects freed among live ones), nonHeap and
// minLimitSlack. GOGC alone bounds only the heap's objects: what the
// heap gave up stays mapped until Go's background scavenger returns it
// (about 1 % of a core: minutes after a burst of hundreds of MB): 30 s
// after 9,000 pods were Running, a controller's anonymous memory was 363
// MiB for a heap goal of 215 (BENCHMARKS.md, issue 13: memory at scale
// (round 3)). With the limit the runtime returns free pages over it as soon as
// it allocates, and collects early when fragmentation or stacks push the
// total over it. It is worked out again after every collection, so a
// live heap that grows moves it along (the limit never makes a
// collection keep less than the live heap).
func memoryLimit(live uint64, percent int, nonHeap uint64) int64 {
	goal := live + live*uint64(percent)/100
	return int64(min(goal+goal/4+nonHeap+minLimitSlack, math.MaxInt64/2))
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
	p.mu.Unlock()
	// The collection's pace sees the quiet stretch's low rate: Go's
	// GOGC, and what lies above its goal goes back to the OS.
	debug.FreeOSMemory()
}

// gcPercent is the GOGC that gives garbage the room that allocated bytes
// over elapsed fill in minGCInterval (rateRoom): at least half the live
// heap (minGCPercent), at most twice the live heap or minBurstRoom,
// whichever is more (maxBurstPercent), and at most maxGCHeadroom (or half
// the live heap when that is more); GOGC at most maxGCPercent. Until round
// 3 of issue 13 a live heap allocating fast kept Go's own 100 however large
// it was: at 30,000 pods that doubled a live heap of GiBs during the burst;
// until round 4 a small one got the whole maxGCHeadroom: 6 times a 50 MB
// live heap during a 1,000-pod burst (BENCHMARKS.md, issue 13: memory at
// scale (round 3) and memory (round 4)).
func gcPercent(live, allocated uint64, elapsed time.Duration) int {
	burst := max(min(live, math.MaxUint64/maxBurstPercent)*maxBurstPercent/100, minBurstRoom)
	return percentOf(live, min(rateRoom(allocated, elapsed), burst))
}

// limitPercent is the GOGC the soft memory limit is worked out from:
// gcPercent's while the live heap holds (a burst of garbage such as a
// thousand pods created: the limit returns what the burst freed at once),
// and the room of rateRoom without gcPercent's bound while it grows or
// shrinks by more than a quarter from one collection to the next (a
// commit of 10,000 objects building its live heap, or one just done, with
// the next commit likely to need the same pages). Worked out from
// gcPercent always, back-to-back commits met the limit, were collected
// every few MiB and faulted in again the pages just returned
// (BenchmarkApply10k 1.5 to 4 times the CPU; BENCHMARKS.md, issue 13:
// memory (round 4)); what such a commit leaves goes back settleAfter it.
func limitPercent(live, prevLive, allocated uint64, elapsed time.Duration) int {
	if live > prevLive+prevLive/4 || live < prevLive-prevLive/4 {
		return percentOf(live, rateRoom(allocated, elapsed))
	}
	return gcPercent(live, allocated, elapsed)
}

// rateRoom is the room for garbage that allocated bytes over elapsed fill
// in minGCInterval, at most maxGCHeadroom (all of it for the same instant).
func rateRoom(allocated uint64, elapsed time.Duration) uint64 {
	if elapsed <= 0 {
		return maxGCHeadroom
	}
	return uint64(min(float64(allocated)*float64(minGCInterval)/float64(elapsed), maxGCHeadroom))
}

// percentOf is room as a GOGC over the live heap, at least minGCPercent
// (half the live heap, when that is more than room) and at most
// maxGCPercent.
func percentOf(live, room uint64) int {
	if live == 0 {
		return maxGCPercent
	}
	return int(min(max(100*room/live, minGCPercent), maxGCPercent))
}
