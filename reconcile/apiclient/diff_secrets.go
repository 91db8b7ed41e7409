package apiclient

import (
	"context"
	"net/http"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/secrets"
)

// DiffSecrets asks the controller which keys of each Secret (as read from
// git: plain or "age:" values) differ from what it stores; the answer
// names keys and says changed/unchanged/added/removed, never a value.
func (c *Client) DiffSecrets(ctx context.Context, want []*corev1.Secret) ([]secrets.Comparison, error) {
	var out secrets.DiffResponse
	if len(want) == 0 {
		return nil, nil
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/diff/secrets", nil, secrets.DiffRequest{Secrets: want}, &out)
	return out.Secrets, err
}
