package scalebench

import (
	"math"
	"slices"
	"time"
)

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of values;
// 0 for none.
func Percentile(values []float64, p float64) float64 {
	if len(values) == 0 {
		return 0
	}
	s := slices.Clone(values)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank, 1), len(s))-1]
}

// Throughput is events per second over the span from the first to the last
// of times at or after since: pods bound per second from the binding times
// the watch saw. The span is at least a second, so a burst the watch saw at
// once does not read as infinite.
func Throughput(times []time.Time, since time.Time) float64 {
	var first, last time.Time
	n := 0
	for _, t := range times {
		if t.Before(since) {
			continue
		}
		if n == 0 || t.Before(first) {
			first = t
		}
		if n == 0 || t.After(last) {
			last = t
		}
		n++
	}
	if n == 0 {
		return 0
	}
	return float64(n) / max(last.Sub(first).Seconds(), 1)
}

// LatencyOf summarises fan-out samples: each sample is the time until the
// last watcher saw the write; missed samples reached not every watcher in
// time.
func LatencyOf(samples []time.Duration, watchers, missed int, writes []time.Duration) *Latency {
	ms := func(ds []time.Duration) []float64 {
		out := make([]float64, len(ds))
		for i, d := range ds {
			out[i] = float64(d.Microseconds()) / 1000
		}
		return out
	}
	l := &Latency{Samples: len(samples), Watchers: watchers, Missed: missed}
	v := ms(samples)
	l.P50Ms, l.P99Ms, l.MaxMs = Percentile(v, 50), Percentile(v, 99), Percentile(v, 100)
	l.WriteP50Ms = Percentile(ms(writes), 50)
	return l
}

// CPUPercent is CPU time over wall time in percent of one core.
func CPUPercent(cpu, wall time.Duration) float64 {
	if wall <= 0 {
		return 0
	}
	return 100 * cpu.Seconds() / wall.Seconds()
}

// PerSecond is n over d, 0 for an empty span.
func PerSecond(n float64, d time.Duration) float64 {
	if d <= 0 {
		return 0
	}
	return n / d.Seconds()
}
