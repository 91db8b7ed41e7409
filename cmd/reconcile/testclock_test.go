package main

import (
	"testing"
	"time"
)

func TestFastClock(t *testing.T) {
	real := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	start := time.Date(2030, 1, 1, 0, 0, 50, 0, time.UTC)
	clock := fastClock(start, 60, func() time.Time { return real })
	if got := clock(); !got.Equal(start) {
		t.Fatalf("at origin: %s", got)
	}
	real = real.Add(2 * time.Second)
	if got, want := clock(), start.Add(2*time.Minute); !got.Equal(want) {
		t.Fatalf("after 2 real seconds at 60x: %s, want %s", got, want)
	}
}

func TestTestClockEnv(t *testing.T) {
	t.Setenv(testClockEnv, "")
	if now, _, err := testClock(); now != nil || err != nil {
		t.Fatal("clock without the variable")
	}
	t.Setenv(testClockEnv, "2030-01-01T00:00:50Z,60")
	now, resync, err := testClock()
	if err != nil || now == nil || resync != time.Second/6 {
		t.Fatalf("now %v resync %v err %v", now != nil, resync, err)
	}
	if got := now(); got.Before(time.Date(2030, 1, 1, 0, 0, 50, 0, time.UTC)) {
		t.Fatalf("clock at %s", got)
	}
	for _, bad := range []string{"yesterday,60", "2030-01-01T00:00:50Z,-1", "2030-01-01T00:00:50Z,fast"} {
		t.Setenv(testClockEnv, bad)
		if _, _, err := testClock(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
