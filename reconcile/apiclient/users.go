package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// CreateUser issues a credential for a person (POST /api/v1/users): a
// certificate for req.CSR's key, or with req.Token a bearer token, shown
// only in this answer.
func (c *Client) CreateUser(ctx context.Context, req apitypes.UserRequest) (apitypes.UserCredential, error) {
	var out apitypes.UserCredential
	err := c.do(ctx, http.MethodPost, "/api/v1/users", nil, req, &out)
	return out, err
}

// ListUsers lists people's credentials, never a secret.
func (c *Client) ListUsers(ctx context.Context) ([]apitypes.UserCredential, error) {
	var out []apitypes.UserCredential
	err := c.do(ctx, http.MethodGet, "/api/v1/users", nil, nil, &out)
	return out, err
}

// DeleteUser deletes a person: its tokens stop working, its certificates
// are revoked.
func (c *Client) DeleteUser(ctx context.Context, name string) (apitypes.UserDeleted, error) {
	var out apitypes.UserDeleted
	err := c.do(ctx, http.MethodDelete, "/api/v1/users/"+url.PathEscape(name), nil, nil, &out)
	return out, err
}
