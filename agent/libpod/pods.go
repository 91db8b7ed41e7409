package libpod

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/containers/podman/v5/pkg/errorhandling"
	"github.com/containers/podman/v5/pkg/specgen"
)

// Pod is the part of a pod list entry the agent reads
// (entities/types.ListPodsReport).
type Pod struct {
	ID      string `json:"Id"`
	Name    string
	Labels  map[string]string
	Created time.Time
}

// ListPods lists the pods matching filters (pods.List: GET
// /pods/json?filters=…).
func (c *Client) ListPods(ctx context.Context, filters map[string][]string) ([]Pod, error) {
	q := url.Values{}
	filtersParam(q, filters)
	var out []Pod
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/pods/json", query: q}, &out)
	return out, err
}

// CreatePod creates a pod from s and returns its ID (pods.CreatePodFromSpec:
// POST /pods/create with the PodSpecGenerator).
func (c *Client) CreatePod(ctx context.Context, s *specgen.PodSpecGenerator) (string, error) {
	var out struct {
		ID string `json:"Id"`
	}
	err := c.do(ctx, request{method: http.MethodPost, endpoint: "/pods/create", body: s}, &out)
	return out.ID, err
}

// StartPod starts a pod's containers, the infra first (pods.Start: POST
// /pods/{id}/start). A pod already running (304) is not an error; one whose
// containers failed to start is an *errorhandling.PodConflictErrorModel.
func (c *Client) StartPod(ctx context.Context, id string) error {
	return c.podAction(ctx, request{method: http.MethodPost, endpoint: "/pods/%s/start", pathArgs: []string{id}})
}

// StopPod stops a pod's containers in parallel: stop signal, SIGKILL after
// timeout seconds (pods.Stop with Timeout: POST /pods/{id}/stop?timeout=…).
// A pod already stopped (304) is not an error.
func (c *Client) StopPod(ctx context.Context, id string, timeout int) error {
	q := url.Values{"timeout": {strconv.Itoa(timeout)}}
	return c.podAction(ctx, request{method: http.MethodPost, endpoint: "/pods/%s/stop", pathArgs: []string{id}, query: q})
}

// podAction is a pod start or stop as the bindings read its answer.
func (c *Client) podAction(ctx context.Context, r request) error {
	resp, err := c.start(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotModified {
		return nil
	}
	return resp.ProcessWithError(nil, &errorhandling.PodConflictErrorModel{})
}

// RemovePod removes a pod with its containers, killing those that run
// (pods.Remove with Force: DELETE /pods/{id}?force=true).
func (c *Client) RemovePod(ctx context.Context, id string) error {
	q := url.Values{"force": {"true"}}
	return c.do(ctx, request{method: http.MethodDelete, endpoint: "/pods/%s", pathArgs: []string{id}, query: q}, nil)
}
