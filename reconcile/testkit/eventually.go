package testkit

import (
	"testing"
	"time"
)

// PollInterval is how often Eventually and Poll check their condition.
const PollInterval = 50 * time.Millisecond

// Eventually polls cond until it returns nil or limit passes, then fails
// the test naming what it waited for and the last error. Tests wait for
// state this way, never with a fixed sleep; the limit is a deadline for a
// broken system, never a performance assertion.
func Eventually(t testing.TB, limit time.Duration, what string, cond func() error) {
	t.Helper()
	if err := Poll(limit, cond); err != nil {
		t.Fatalf("timed out after %s waiting for %s; last: %v", limit, what, err)
	}
}

// Poll calls cond until it returns nil or limit passes, and returns its
// last error (nil on success). For waits whose failure is not fatal.
func Poll(limit time.Duration, cond func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(PollInterval)
	}
}
