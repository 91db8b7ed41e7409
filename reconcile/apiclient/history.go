package apiclient

import (
	"context"
	"net/http"
	"net/url"

	"github.com/reconcile-dev/reconcile/reconcile/sourcestate"
)

// History returns the applied commits of a source ("" = the only source).
func (c *Client) History(ctx context.Context, source string) (sourcestate.SourceHistory, error) {
	var out sourcestate.SourceHistory
	err := c.do(ctx, http.MethodGet, "/api/v1/history", sourceQuery(source), nil, &out)
	return out, err
}

// Rollback applies an earlier commit of a source and pins the source
// there; it returns once the commit is applied or refused.
func (c *Client) Rollback(ctx context.Context, source, commit string) (sourcestate.SourceStatus, error) {
	q := sourceQuery(source)
	q.Set("commit", commit)
	var out sourcestate.SourceStatus
	err := c.doOnLeader(ctx, http.MethodPost, "/api/v1/rollback", q, &out)
	return out, err
}

// Resume unpins a source: it follows its ref again.
func (c *Client) Resume(ctx context.Context, source string) error {
	return c.doOnLeader(ctx, http.MethodPost, "/api/v1/resume", sourceQuery(source), nil)
}

func sourceQuery(source string) url.Values {
	q := url.Values{}
	if source != "" {
		q.Set("source", source)
	}
	return q
}
