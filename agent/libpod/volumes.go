package libpod

import (
	"context"
	"net/http"
)

// VolumeExists says whether the named volume exists (volumes.Exists: GET
// /volumes/{name}/exists).
func (c *Client) VolumeExists(ctx context.Context, name string) (bool, error) {
	return c.exists(ctx, "/volumes/%s/exists", name)
}

// VolumeCreate is the body of a volume's creation
// (entities/types.VolumeCreateOptions: the same JSON names).
type VolumeCreate struct {
	Name    string
	Label   map[string]string `json:",omitempty"`
	Options map[string]string `json:",omitempty"`
}

// CreateVolume creates a named volume (volumes.Create: POST /volumes/create).
func (c *Client) CreateVolume(ctx context.Context, v VolumeCreate) error {
	return c.do(ctx, request{method: http.MethodPost, endpoint: "/volumes/create", body: v}, nil)
}

// VolumeMountpoint is the host directory of a named volume (volumes.Inspect:
// GET /volumes/{name}/json).
func (c *Client) VolumeMountpoint(ctx context.Context, name string) (string, error) {
	var out struct{ Mountpoint string }
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/volumes/%s/json", pathArgs: []string{name}}, &out)
	return out.Mountpoint, err
}
