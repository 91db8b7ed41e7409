package apiclient

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Replace replaces an object through PUT /api/v1/{plural}/{name} (as
// `kubectl replace`) and returns it as stored.
func (c *Client) Replace(ctx context.Context, o objects.Object) (objects.Object, error) {
	key := objects.KeyOf(o)
	info, ok := objects.Info(key.Kind)
	if !ok {
		return nil, fmt.Errorf("cannot replace %s: unknown kind %q", key, key.Kind)
	}
	q := url.Values{}
	if key.Namespace != "" {
		q.Set("namespace", key.Namespace)
	}
	out, err := objects.New(key.Kind)
	if err != nil {
		return nil, err
	}
	if err := c.do(ctx, http.MethodPut, "/api/v1/"+info.Plural+"/"+url.PathEscape(key.Name), q, o, out); err != nil {
		return nil, err
	}
	objects.SetTypeMeta(out, key.Kind)
	return out, nil
}
