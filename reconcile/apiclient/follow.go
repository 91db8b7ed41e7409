package apiclient

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// resumeBackoff paces the resumption of a watch whose stream ended: the
// next server is tried at once (the client moves on connection errors);
// a control plane that is down is not hammered.
var resumeBackoff = wait.Backoff{Duration: 100 * time.Millisecond, Factor: 2, Steps: 7, Cap: 5 * time.Second}

// Follow hands fn every event of the watch q (kind, node, reveal: as
// Watch's) after rv, in order, until ctx ends (it returns ctx's error) or
// the server no longer has the events after the last one fn got (it
// returns ErrGone: list again). A stream that ends — its server stopped or
// went away, the connection broke — is opened again from the last event's
// resourceVersion, on the next server when there are several: servers
// share resourceVersions (one replicated store), so no event is missed or
// handed over twice.
func (c *Client) Follow(ctx context.Context, q url.Values, rv uint64, fn func(WatchEvent)) error {
	backoff := resumeBackoff
	for {
		wq := url.Values{}
		for k, v := range q {
			wq[k] = v
		}
		wq.Set("resourceVersion", strconv.FormatUint(rv, 10))
		got := false
		err := c.watch(ctx, wq, func(ev WatchEvent) bool {
			fn(ev)
			rv, got = ev.ResourceVersion, true
			return true
		})
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, ErrGone):
			return err
		case got:
			backoff = resumeBackoff
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(backoff.Step()):
		}
	}
}
