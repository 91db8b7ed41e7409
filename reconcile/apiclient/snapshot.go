package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// Snapshot copies the controller's store snapshot (GET /api/v1/snapshot,
// admins only) to w and returns the resourceVersion it holds. A stream cut
// before its end is an error (the trailer naming the resourceVersion comes
// last).
func (c *Client) Snapshot(ctx context.Context, w io.Writer) (uint64, error) {
	resp, err := c.stream(ctx, "/api/v1/snapshot", url.Values{})
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return 0, fmt.Errorf("snapshot from %s: %w", serverOf(resp), err)
	}
	v := resp.Trailer.Get(apitypes.TrailerResourceVersion)
	if v == "" {
		return 0, errors.New("snapshot from " + serverOf(resp) + ": the stream ended before the snapshot did (the controller failed while writing it: see its log)")
	}
	return strconv.ParseUint(v, 10, 64)
}
