package apiclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

// RestoreSnapshot sends the snapshot in snap (as Snapshot copied it) to
// POST /api/v1/snapshot (admins only): a control plane on etcd replaces
// its store with it and every server reloads; a Badger controller refuses
// (409: stop it and restore into its data directory). It returns the
// restored resourceVersion. Like every POST it moves to another server
// only when the request never left (a restore that may have been applied
// is not repeated blindly).
func (c *Client) RestoreSnapshot(ctx context.Context, snap []byte) (uint64, error) {
	resp, err := c.send(ctx, http.MethodPost, "/api/v1/snapshot", nil, snap)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		return 0, c.responseError(resp)
	}
	var out apitypes.SnapshotRestored
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, fmt.Errorf("snapshot restore on %s: %w", serverOf(resp), err)
	}
	return out.ResourceVersion, nil
}
