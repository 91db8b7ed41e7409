package scalebench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ten := []float64{10, 1, 9, 2, 8, 3, 7, 4, 6, 5}
	for _, tc := range []struct {
		values []float64
		p      float64
		want   float64
	}{
		{nil, 50, 0},
		{[]float64{4}, 99, 4},
		{ten, 50, 5},
		{ten, 90, 9},
		{ten, 99, 10},
		{ten, 100, 10},
		{ten, 1, 1},
	} {
		if got := Percentile(tc.values, tc.p); got != tc.want {
			t.Errorf("Percentile(%v, %v) = %v, want %v", tc.values, tc.p, got, tc.want)
		}
	}
	if ten[0] != 10 {
		t.Error("Percentile sorted its input")
	}
}

func TestThroughput(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms ...int) []time.Time {
		var out []time.Time
		for _, m := range ms {
			out = append(out, t0.Add(time.Duration(m)*time.Millisecond))
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		times []time.Time
		since time.Time
		want  float64
	}{
		{"none", nil, t0, 0},
		{"over four seconds", at(0, 1000, 2000, 3000, 4000), t0, 5.0 / 4},
		{"a burst counts a second", at(0, 10, 20), t0, 3},
		{"before since left out", at(0, 1000, 5000, 7000), t0.Add(5 * time.Second), 1},
		{"unsorted", at(4000, 0, 2000), t0, 3.0 / 4},
	} {
		if got := Throughput(tc.times, tc.since); got != tc.want {
			t.Errorf("%s: Throughput = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestLatencyOf(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, m := range v {
			out = append(out, time.Duration(m)*time.Millisecond)
		}
		return out
	}
	got := LatencyOf(ms(5, 1, 3, 2, 4, 100), 8, 2, ms(1, 2, 3))
	want := Latency{Samples: 6, Watchers: 8, Missed: 2, P50Ms: 3, P99Ms: 100, MaxMs: 100, WriteP50Ms: 2}
	if *got != want {
		t.Errorf("LatencyOf = %+v, want %+v", *got, want)
	}
	if got := LatencyOf(nil, 8, 3, nil); *got != (Latency{Watchers: 8, Missed: 3}) {
		t.Errorf("LatencyOf of no samples = %+v", *got)
	}
}

func TestRates(t *testing.T) {
	for _, tc := range []struct {
		got, want float64
	}{
		{CPUPercent(3*time.Second, 30*time.Second), 10},
		{CPUPercent(time.Second, 0), 0},
		{PerSecond(300, 2*time.Second), 150},
		{PerSecond(300, 0), 0},
	} {
		if tc.got != tc.want {
			t.Errorf("got %v, want %v", tc.got, tc.want)
		}
	}
}
