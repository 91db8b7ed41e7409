package libpod

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Event is the part of a service event the agent reads
// (entities/types.Event: Docker's events.Message).
type Event struct {
	Type   string
	Action string
	Status string `json:"status,omitempty"` // Podman before 4.x's Action
	Actor  struct {
		ID         string
		Attributes map[string]string
	}
	TimeNano int64 `json:"timeNano,omitempty"`
}

// Events follows the service's event stream matching filters, calling f
// for each event, until the stream ends (the service stopped: nil) or ctx
// is done (system.Events with Stream: GET /events?stream=true&filters=…).
func (c *Client) Events(ctx context.Context, filters map[string][]string, f func(Event)) error {
	q := url.Values{"stream": {"true"}}
	filtersParam(q, filters)
	resp, err := c.stream(ctx, request{method: http.MethodGet, endpoint: "/events", query: q})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return readEvents(resp.Body, f)
}

// readEvents decodes a stream of JSON events into f until its end.
func readEvents(r io.Reader, f func(Event)) error {
	dec := json.NewDecoder(r)
	for {
		var e Event
		if err := dec.Decode(&e); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("reading the Podman service's events: %w", err)
		}
		f(e)
	}
}
