package apiclient

import (
	"context"
	"net/url"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// doOnLeader is do for a request only the control plane's leader carries
// out (sync, rollback, resume): a server that does not lead answers 503
// ServiceUnavailable naming the leader, having done nothing, so the
// client tries its next server, each once, and stays on the one that
// took it. The requests it serves are idempotent (a fetch request, a pin
// to one commit, an unpin), so one repeated after an ambiguous 503
// changes nothing more. The last server's answer is returned.
func (c *Client) doOnLeader(ctx context.Context, method, path string, q url.Values, out any) error {
	var err error
	for range len(c.servers.urls) {
		i, _ := c.servers.current()
		err = c.do(ctx, method, path, q, nil, out)
		if !apierrors.Is(err, apierrors.ReasonServiceUnavailable) || ctx.Err() != nil {
			return err
		}
		c.servers.failed(i)
	}
	return err
}
