package ctxwait

import (
	"context"
	"time"
)

// Sleep waits d (not at all when d <= 0) and reports whether ctx is still
// live: false when it ended first.
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
