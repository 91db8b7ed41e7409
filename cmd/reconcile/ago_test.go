package main

import (
	"testing"
	"time"
)

// TestAgoIsKubectlsAge: the AGE and LAST SEEN columns read as kubectl's
// (duration.HumanDuration), a zero time is unknown and clock skew is 0s.
func TestAgoIsKubectlsAge(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		before time.Duration
		want   string
	}{
		{-5 * time.Second, "0s"},
		{45 * time.Second, "45s"},
		{200 * time.Second, "3m20s"},
		{5 * time.Minute, "5m"},
		{5 * time.Hour, "5h"},
		{76 * time.Hour, "3d4h"},
		{400 * 24 * time.Hour, "400d"},
	} {
		if got := ago(now.Add(-tc.before), now); got != tc.want {
			t.Errorf("ago(now-%s) = %q, want %q", tc.before, got, tc.want)
		}
	}
	if got := ago(time.Time{}, now); got != "<unknown>" {
		t.Errorf("ago(zero) = %q, want <unknown>", got)
	}
}
