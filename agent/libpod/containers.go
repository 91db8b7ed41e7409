package libpod

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/containers/podman/v5/pkg/specgen"
)

// Container is the part of a container list entry the agent reads
// (entities/types.ListContainer).
type Container struct {
	ID        string `json:"Id"`
	Names     []string
	Labels    map[string]string
	IsInfra   bool
	Pod       string
	Image     string
	ImageID   string
	State     string
	ExitCode  int32
	Created   time.Time
	StartedAt int64
	ExitedAt  int64
}

// ListContainers lists containers, stopped ones too, matching filters
// (containers.List with All: GET /containers/json?all=true&filters=…).
func (c *Client) ListContainers(ctx context.Context, filters map[string][]string) ([]Container, error) {
	q := url.Values{"all": {"true"}}
	filtersParam(q, filters)
	var out []Container
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/containers/json", query: q}, &out)
	return out, err
}

// ContainerInspect is the part of a container's inspect data the agent reads
// (libpod/define.InspectContainerData).
type ContainerInspect struct {
	State *struct {
		Running   bool
		OOMKilled bool
	}
	NetworkSettings *struct {
		IPAddress string
		Networks  map[string]*struct{ IPAddress string }
	}
}

// InspectContainer inspects a container (containers.Inspect: GET
// /containers/{id}/json).
func (c *Client) InspectContainer(ctx context.Context, id string) (*ContainerInspect, error) {
	var out ContainerInspect
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/containers/%s/json", pathArgs: []string{id}}, &out)
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateContainer creates a container from s and returns its ID
// (containers.CreateWithSpec: POST /containers/create).
func (c *Client) CreateContainer(ctx context.Context, s *specgen.SpecGenerator) (string, error) {
	var out struct {
		ID string `json:"Id"`
	}
	err := c.do(ctx, request{method: http.MethodPost, endpoint: "/containers/create", body: s}, &out)
	return out.ID, err
}

// StartContainer starts a created container (containers.Start: POST
// /containers/{id}/start).
func (c *Client) StartContainer(ctx context.Context, id string) error {
	return c.do(ctx, request{method: http.MethodPost, endpoint: "/containers/%s/start", pathArgs: []string{id}}, nil)
}

// StopContainer stops a container: its stop signal, SIGKILL after timeout
// seconds; a container that is gone is not an error (containers.Stop with
// Timeout and Ignore: POST /containers/{id}/stop?ignore=true&timeout=…).
func (c *Client) StopContainer(ctx context.Context, id string, timeout uint) error {
	q := url.Values{"ignore": {"true"}, "timeout": {strconv.FormatUint(uint64(timeout), 10)}}
	resp, err := c.start(ctx, request{method: http.MethodPost, endpoint: "/containers/%s/stop", pathArgs: []string{id}, query: q})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	return resp.Process(nil)
}

// RemoveContainer removes a container, killing it first when it runs
// (containers.Remove with Force: DELETE /containers/{id}?force=true; ignore
// too when ignoreMissing).
func (c *Client) RemoveContainer(ctx context.Context, id string, ignoreMissing bool) error {
	q := url.Values{"force": {"true"}}
	if ignoreMissing {
		q.Set("ignore", "true")
	}
	return c.do(ctx, request{method: http.MethodDelete, endpoint: "/containers/%s", pathArgs: []string{id}, query: q}, nil)
}

// ContainerStats is one running container's counters
// (libpod/define.ContainerStats).
type ContainerStats struct {
	ContainerID string
	CPUNano     uint64
	MemUsage    uint64
	SystemNano  uint64
}

// Stats reads the counters of every running container once
// (containers.Stats with Stream false, All false: GET
// /containers/stats?stream=false&all=false).
func (c *Client) Stats(ctx context.Context) ([]ContainerStats, error) {
	q := url.Values{"stream": {"false"}, "all": {"false"}}
	var out statsReport
	if err := c.do(ctx, request{method: http.MethodGet, endpoint: "/containers/stats", query: q}, &out); err != nil {
		return nil, err
	}
	return out.Stats, out.err()
}
