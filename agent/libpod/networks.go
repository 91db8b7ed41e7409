package libpod

import (
	"context"
	"net/http"

	nettypes "github.com/containers/common/libnetwork/types"
)

// NetworkExists says whether the network exists (network.Exists: GET
// /networks/{name}/exists).
func (c *Client) NetworkExists(ctx context.Context, name string) (bool, error) {
	return c.exists(ctx, "/networks/%s/exists", name)
}

// InspectNetwork reads a network's configuration (network.Inspect: GET
// /networks/{name}/json; the containers attached are not read).
func (c *Client) InspectNetwork(ctx context.Context, name string) (nettypes.Network, error) {
	var out nettypes.Network
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/networks/%s/json", pathArgs: []string{name}}, &out)
	return out, err
}

// CreateNetwork creates n (network.Create: POST /networks/create).
func (c *Client) CreateNetwork(ctx context.Context, n *nettypes.Network) error {
	return c.do(ctx, request{method: http.MethodPost, endpoint: "/networks/create", body: n}, nil)
}

// RemoveNetwork removes a network no container uses (network.Remove: DELETE
// /networks/{name}).
func (c *Client) RemoveNetwork(ctx context.Context, name string) error {
	return c.do(ctx, request{method: http.MethodDelete, endpoint: "/networks/%s", pathArgs: []string{name}}, nil)
}
