package apiserver

import (
	"math"
	"sync"
	"time"
)

// WatchObserver, when Server.Observer implements it too
// (reconcile/metrics), is told of every live delivery of a watch event
// (the time from the event's arrival in the fan-out to its write on the
// watch's connection) and of every watch dropped for falling behind.
type WatchObserver interface {
	ObserveWatchDelivery(d time.Duration)
	WatchDropped()
}

// DelayHistogram counts durations in buckets growing by 2^(1/4) (about
// 19 % apart) from 1 µs to about 70 s: percentiles within a bucket's
// width, in constant memory, cheap to record from every watch.
type DelayHistogram struct {
	mu      sync.Mutex
	buckets [delayBuckets]uint64
	count   uint64
	sum     time.Duration
	max     time.Duration
}

const delayBuckets = 4 * 26 // 2^26 µs ≈ 67 s

func delayBucket(d time.Duration) int {
	us := float64(d) / float64(time.Microsecond)
	if us <= 1 {
		return 0
	}
	return min(int(math.Ceil(4*math.Log2(us))), delayBuckets-1)
}

// bucketEnd is the upper bound of bucket i.
func bucketEnd(i int) time.Duration {
	return time.Duration(math.Pow(2, float64(i)/4) * float64(time.Microsecond))
}

// Observe records one duration.
func (h *DelayHistogram) Observe(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buckets[delayBucket(d)]++
	h.count++
	h.sum += d
	h.max = max(h.max, d)
}

// DelaySnapshot summarises a DelayHistogram. Percentiles are the upper
// bounds of their buckets (at most 19 % above the true value).
type DelaySnapshot struct {
	Count         uint64
	P50, P99, Max time.Duration
	Mean          time.Duration
}

// Snapshot returns the counts so far.
func (h *DelayHistogram) Snapshot() DelaySnapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := DelaySnapshot{Count: h.count, Max: h.max}
	if h.count == 0 {
		return s
	}
	s.Mean = h.sum / time.Duration(h.count)
	s.P50, s.P99 = h.quantile(0.50), h.quantile(0.99)
	return s
}

func (h *DelayHistogram) quantile(q float64) time.Duration {
	rank := uint64(math.Ceil(q * float64(h.count)))
	var seen uint64
	for i, n := range h.buckets {
		seen += n
		if seen >= rank {
			return min(bucketEnd(i), h.max)
		}
	}
	return h.max
}

// Reset empties the histogram (between two phases of a benchmark).
func (h *DelayHistogram) Reset() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.buckets, h.count, h.sum, h.max = [delayBuckets]uint64{}, 0, 0, 0
}
