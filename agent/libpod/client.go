package libpod

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/containers/podman/v5/pkg/bindings"
	"github.com/containers/podman/v5/pkg/errorhandling"
)

// Client is a connection to one Podman service.
type Client struct {
	conn    *bindings.Connection
	version string // the service's version, from the connection's handshake
}

// Connect opens the connection to the service at uri (unix:///path.sock,
// ssh://, tcp://) and checks that it answers (bindings.NewConnection: GET
// /_ping and the Libpod-API-Version handshake).
func Connect(ctx context.Context, uri string) (*Client, error) {
	connCtx, err := bindings.NewConnection(ctx, uri)
	if err != nil {
		return nil, err
	}
	conn, err := bindings.GetClient(connCtx)
	if err != nil {
		return nil, err
	}
	c := &Client{conn: conn}
	if v := bindings.ServiceVersion(connCtx); v != nil {
		c.version = v.String()
	}
	return c, nil
}

// ServiceVersion is the service's version ("" when it did not say).
func (c *Client) ServiceVersion() string { return c.version }

// IsNotFound says whether err is the service's "no such …" answer (HTTP 404).
func IsNotFound(err error) bool {
	var model *errorhandling.ErrorModel
	return errors.As(err, &model) && model.ResponseCode == http.StatusNotFound
}

// request is one call: method and endpoint (relative to /v<version>/libpod,
// with %s for the escaped pathArgs), query, headers and a JSON body (nil:
// none).
type request struct {
	method   string
	endpoint string
	pathArgs []string
	query    url.Values
	header   http.Header
	body     any
}

// start sends r; the caller closes the response's body.
func (c *Client) start(ctx context.Context, r request) (*bindings.APIResponse, error) {
	var body io.Reader
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return nil, fmt.Errorf("encoding the body of %s %s: %w", r.method, r.endpoint, err)
		}
		body = bytes.NewReader(b)
	}
	return c.conn.DoRequest(ctx, body, r.method, r.endpoint, r.query, r.header, r.pathArgs...)
}

// do sends r and decodes a successful answer into out (nil: ignore it); an
// error answer becomes the bindings' *errorhandling.ErrorModel.
func (c *Client) do(ctx context.Context, r request, out any) error {
	resp, err := c.start(ctx, r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return resp.Process(out)
}

// exists is the answer of a …/exists endpoint: 204 yes, 404 no.
func (c *Client) exists(ctx context.Context, endpoint, name string) (bool, error) {
	resp, err := c.start(ctx, request{method: http.MethodGet, endpoint: endpoint, pathArgs: []string{name}})
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	return resp.IsSuccess(), nil
}

// stream sends r and returns the response of a streaming endpoint, or the
// service's error when it answered with one.
func (c *Client) stream(ctx context.Context, r request) (*bindings.APIResponse, error) {
	resp, err := c.start(ctx, r)
	if err != nil {
		return nil, err
	}
	if !resp.IsSuccess() && !resp.IsInformational() {
		defer resp.Body.Close()
		return nil, resp.Process(nil)
	}
	return resp, nil
}

// filtersParam is a filters map as the bindings send it (JSON).
func filtersParam(q url.Values, filters map[string][]string) {
	if len(filters) == 0 {
		return
	}
	b, _ := json.Marshal(filters) // a map of string slices always encodes
	q.Set("filters", string(b))
}

// Ping asks the service for GET /_ping: nil when it answers 200 OK.
func (c *Client) Ping(ctx context.Context) error {
	resp, err := c.start(ctx, request{method: http.MethodGet, endpoint: "/_ping"})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ping answered %s", resp.Status)
	}
	return nil
}
