package hollow

import (
	"errors"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/reconcile-dev/reconcile/agent/join"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// A join is asked again only when the controller did not answer; a
// refusal or a local error ends the fleet's start at once.
func TestBusyRetriesOnlyWhatTheControllerDidNotAnswer(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"handshake turned away", fmt.Errorf("join: %w", &net.OpError{Op: "remote error", Err: errors.New("tls: internal error")}), true},
		{"connection cut", fmt.Errorf("join: %w", io.ErrUnexpectedEOF), true},
		{"too many requests", apierrors.New(apierrors.ReasonTooManyRequests, "busy"), true},
		{"no leader yet", apierrors.New(apierrors.ReasonServiceUnavailable, "busy"), true},
		{"bad token", apierrors.New(apierrors.ReasonUnauthorized, "bad token"), false},
		{"wrong CA hash", fmt.Errorf("join: %w", &join.HashMismatchError{Server: "https://x", Want: "a", Got: "b"}), false},
		{"local error", errors.New("writing node.conf: disk full"), false},
	} {
		if got := busy(c.err); got != c.want {
			t.Errorf("%s: busy = %v, want %v", c.name, got, c.want)
		}
	}
}
