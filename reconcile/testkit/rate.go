package testkit

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"
)

// OpenLoop calls fn(i) for i in [0, n) at a fixed rate per second, each
// call in its own goroutine at its scheduled time, so a slow call never
// delays the next one (an open-loop load, as wrk2 or vegeta generate; a
// closed loop would hide queueing from the latencies). It returns when
// every call has returned.
func OpenLoop(rate, n int, fn func(i int)) {
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / time.Duration(rate))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// SideBySide runs n calls at rate per second in an open loop, alternately
// a and b, and returns the durations of each side's successful calls and
// the first error (with the number of failed calls).
func SideBySide(rate, n int, a, b func() error) (da, db []time.Duration, err error) {
	var mu sync.Mutex
	failed := 0
	OpenLoop(rate, n, func(i int) {
		fn, into := a, &da
		if i%2 == 1 {
			fn, into = b, &db
		}
		start := time.Now()
		e := fn()
		took := time.Since(start)
		mu.Lock()
		defer mu.Unlock()
		if e != nil {
			if failed++; err == nil {
				err = e
			}
			return
		}
		*into = append(*into, took)
	})
	if err != nil {
		err = fmt.Errorf("%d of %d calls failed, the first: %w", failed, n, err)
	}
	return da, db, err
}

// ReportSideBySide reports the median and p99 of two sides' durations in
// µs as benchmark metrics (nameA-p50-µs, …) and what b adds to a
// (added-p50-µs, added-p99-µs).
func ReportSideBySide(bench *testing.B, nameA, nameB string, a, b []time.Duration) {
	am, a99 := Quantile(a, 0.5), Quantile(a, 0.99)
	bm, b99 := Quantile(b, 0.5), Quantile(b, 0.99)
	bench.ReportMetric(float64(am.Microseconds()), nameA+"-p50-µs")
	bench.ReportMetric(float64(a99.Microseconds()), nameA+"-p99-µs")
	bench.ReportMetric(float64(bm.Microseconds()), nameB+"-p50-µs")
	bench.ReportMetric(float64(b99.Microseconds()), nameB+"-p99-µs")
	bench.ReportMetric(float64((bm - am).Microseconds()), "added-p50-µs")
	bench.ReportMetric(float64((b99 - a99).Microseconds()), "added-p99-µs")
}

// Quantile returns the q-quantile (0.5 the median, 0.99 the p99) of ds,
// which it sorts; 0 for none.
func Quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	return ds[min(len(ds)-1, int(float64(len(ds))*q))]
}
