package apiclient

import (
	"context"
	"io"
	"net/url"
	"strconv"
)

// LogOptions select a container log (kubectl logs' flags).
type LogOptions struct {
	Container  string // "" = the pod's only container
	Follow     bool
	Previous   bool
	TailLines  int // 0 = all
	Timestamps bool
}

// Logs copies a pod's container log to w; with Follow it returns when the
// container stops or ctx ends. The API server proxies it from the agent.
func (c *Client) Logs(ctx context.Context, namespace, pod string, opts LogOptions, w io.Writer) error {
	q := url.Values{"namespace": {namespace}}
	if opts.Container != "" {
		q.Set("container", opts.Container)
	}
	if opts.Follow {
		q.Set("follow", "true")
	}
	if opts.Previous {
		q.Set("previous", "true")
	}
	if opts.Timestamps {
		q.Set("timestamps", "true")
	}
	if opts.TailLines > 0 {
		q.Set("tailLines", strconv.Itoa(opts.TailLines))
	}
	resp, err := c.stream(ctx, "/api/v1/pods/"+url.PathEscape(pod)+"/log", q)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, err = io.Copy(w, resp.Body)
	if ctx.Err() != nil {
		return nil // the caller stopped following
	}
	return err
}
