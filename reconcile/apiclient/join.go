package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// CreateToken makes a join token (POST /api/v1/tokens); ttl "" is the
// controller's default (24h), "0" never expires. The answer carries the
// token's printed form, the only time it is shown.
func (c *Client) CreateToken(ctx context.Context, ttl, description string) (apitypes.Token, error) {
	var out apitypes.Token
	err := c.do(ctx, http.MethodPost, "/api/v1/tokens", nil, apitypes.TokenRequest{TTL: ttl, Description: description}, &out)
	return out, err
}

// ListTokens lists join tokens, never their secrets.
func (c *Client) ListTokens(ctx context.Context) ([]apitypes.Token, error) {
	var out []apitypes.Token
	err := c.do(ctx, http.MethodGet, "/api/v1/tokens", nil, nil, &out)
	return out, err
}

// DeleteToken deletes a join token by id (the part before the dot).
func (c *Client) DeleteToken(ctx context.Context, id string) error {
	return c.do(ctx, http.MethodDelete, "/api/v1/tokens/"+url.PathEscape(id), nil, nil, nil)
}

// DeleteNode deletes a node and its pods and revokes its certificates.
func (c *Client) DeleteNode(ctx context.Context, name string) (apitypes.NodeDeleted, error) {
	var out apitypes.NodeDeleted
	err := c.do(ctx, http.MethodDelete, "/api/v1/nodes/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}

// Join sends a node's join request; the client's token is the join token.
func (c *Client) Join(ctx context.Context, req apitypes.JoinRequest) (apitypes.Certificate, error) {
	var out apitypes.Certificate
	err := c.do(ctx, http.MethodPost, "/api/v1/join", nil, req, &out)
	return out, err
}

// RenewCertificate asks for a certificate for the node's new key; the
// client authenticates with the node's current certificate.
func (c *Client) RenewCertificate(ctx context.Context, node string, req apitypes.CertificateRequest) (apitypes.Certificate, error) {
	var out apitypes.Certificate
	err := c.do(ctx, http.MethodPost, "/api/v1/nodes/"+url.PathEscape(node)+"/certificate", nil, req, &out)
	return out, err
}

// Server is the URL of the server the client uses now.
func (c *Client) Server() string { _, u := c.servers.current(); return u }

// ServerURLs are every server URL the client may use, in order.
func (c *Client) ServerURLs() []string { return append([]string(nil), c.servers.urls...) }
