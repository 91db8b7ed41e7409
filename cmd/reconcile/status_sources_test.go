package main

import (
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/sources"
)

func TestFetchesLine(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		s    sources.Status
		want string
	}{
		{sources.Status{}, "0"},
		{sources.Status{Fetches: 3, LastFetchAt: now.Add(-3 * time.Second), MinFetchInterval: time.Second}, "3 (last 3s ago; at most one per 1s)"},
		{sources.Status{Fetches: 1587, LastFetchAt: now.Add(-5 * time.Minute)}, "1587 (last 5m ago)"},
	} {
		if got := fetchesLine(tc.s, now); got != tc.want {
			t.Errorf("fetchesLine(%d) = %q, want %q", tc.s.Fetches, got, tc.want)
		}
	}
}
