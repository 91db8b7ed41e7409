package schema

import (
	"runtime/debug"
	"sync"
)

// A cold validation allocates about 170 KB per manifest, nearly all of it
// garbage within the manifest's evaluation (CUE's evaluator state), while
// the live heap stays small: with the default GOGC the collector runs
// every few manifests and takes a fifth of the CPU. During a large batch
// the GC target is raised, and restored when the last batch ends. 800 %
// cuts the CPU of 10,000 cold manifests by about a fifth against 100 %
// (a tenth against 400 %) for a peak heap some 60 MB higher than at 400 %.
const (
	batchGCPercent = 800
	// minBatchForGC is the number of files below which the setting is left
	// alone: re-validating a commit's few changed files is fast anyway.
	minBatchForGC = 256
)

var gcBatch struct {
	sync.Mutex
	active int
	saved  int
}

// raiseGC raises the GC target for a batch of n files and returns the
// function that ends the batch. It never lowers a target set higher, nor
// turns a disabled collector (GOGC=off) on.
func raiseGC(n int) (restore func()) {
	if n < minBatchForGC {
		return func() {}
	}
	gcBatch.Lock()
	if gcBatch.active == 0 {
		gcBatch.saved = debug.SetGCPercent(batchGCPercent)
		if gcBatch.saved < 0 || gcBatch.saved > batchGCPercent {
			debug.SetGCPercent(gcBatch.saved)
		}
	}
	gcBatch.active++
	gcBatch.Unlock()
	return func() {
		gcBatch.Lock()
		gcBatch.active--
		if gcBatch.active == 0 {
			debug.SetGCPercent(gcBatch.saved)
		}
		gcBatch.Unlock()
	}
}
