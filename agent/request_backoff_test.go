package agent

import (
	"testing"
	"time"
)

// The retries of a failing call to the controller double from 1 s up to
// 30 s, each spread over [d, 2d): agents that failed together do not come
// back together, and a controller that stays down is asked at most every
// 30–60 s.
func TestRequestBackoffDoublesWithJitterUpToTheCap(t *testing.T) {
	for run := range 20 {
		b := requestBackoff()
		base := time.Second
		spread := false
		for i := range 12 {
			d := b.Step()
			if d < base || d >= 2*base {
				t.Fatalf("run %d, retry %d: waits %v, want within [%v, %v)", run, i, d, base, 2*base)
			}
			if d != base {
				spread = true
			}
			base = min(2*base, 30*time.Second)
		}
		if !spread {
			t.Fatalf("run %d: every wait was exactly the base: no jitter", run)
		}
	}
}
