package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// JoinServer asks an existing server to add this one's etcd member; the
// client carries a server join token as its bearer.
func (c *Client) JoinServer(ctx context.Context, req apitypes.ServerJoinRequest) (apitypes.ServerJoin, error) {
	var out apitypes.ServerJoin
	err := c.do(ctx, http.MethodPost, "/api/v1/servers/join", nil, req, &out)
	return out, err
}

// Servers is the control plane's store, leader and members.
func (c *Client) Servers(ctx context.Context) (apitypes.Servers, error) {
	var out apitypes.Servers
	err := c.do(ctx, http.MethodGet, "/api/v1/servers", nil, nil, &out)
	return out, err
}

// RemoveServer removes server name's etcd member (admin).
func (c *Client) RemoveServer(ctx context.Context, name string) (apitypes.ServerRemoved, error) {
	var out apitypes.ServerRemoved
	err := c.do(ctx, http.MethodDelete, "/api/v1/servers/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}
