package agent

import (
	"math"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Kubernetes' container restart backoff (DESIGN.md §6): the first restart at
// once, then 10 s doubling up to 300 s; a container that ran for 10 minutes
// resets the backoff.
const (
	backoffInitial = 10 * time.Second
	backoffMax     = 300 * time.Second
	backoffReset   = 10 * time.Minute
)

// backoffDelay is the wait before restart number n+1 after n restarts.
func backoffDelay(restarts int) time.Duration {
	if restarts <= 0 {
		return 0
	}
	d := backoffInitial
	for i := 1; i < restarts && d < backoffMax; i++ {
		d *= 2
	}
	if d > backoffMax {
		d = backoffMax
	}
	return d
}

// restartAt is when an exited container may be restarted.
func restartAt(c ObservedContainer) time.Time {
	if c.FinishedAt.Sub(c.StartedAt) >= backoffReset {
		return c.FinishedAt
	}
	return c.FinishedAt.Add(backoffDelay(c.Attempt))
}

// failureRetryAt is when a failed start (image pull, config error) is retried:
// 10 s after the first failure, doubling up to 300 s.
func failureRetryAt(f StartFailure) time.Time {
	return f.At.Add(backoffDelay(f.Count))
}

// requestBackoff paces the agent's retries of a failed call to the
// controller (registration, the pod list, the long poll), as client-go's
// exponential backoff with jitter: 1 s doubling up to 30 s, each wait
// spread over [d, 2d) so that thousands of agents failing at the same
// moment (a controller restarting, overloaded, shedding with 429) come
// back spread out instead of in lockstep every second. A success starts
// the next failure at 1 s again.
func requestBackoff() wait.Backoff {
	return wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 1, Steps: math.MaxInt32, Cap: 30 * time.Second}
}
