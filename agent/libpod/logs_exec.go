package libpod

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// LogOptions select a container log's part.
type LogOptions struct {
	Follow     bool
	Timestamps bool
	TailLines  int // 0: all
}

// ContainerLogs copies a container's log, stdout and stderr, frame by frame
// into w (containers.Logs: GET
// /containers/{id}/logs?stdout=true&stderr=true&follow=…&timestamps=…&tail=…).
// With Follow it returns when the container's log ends or ctx is done. A
// failed write to w is a *WriteError.
func (c *Client) ContainerLogs(ctx context.Context, id string, opts LogOptions, w io.Writer) error {
	q := url.Values{"stdout": {"true"}, "stderr": {"true"},
		"follow": {strconv.FormatBool(opts.Follow)}, "timestamps": {strconv.FormatBool(opts.Timestamps)}}
	if opts.TailLines > 0 {
		q.Set("tail", strconv.Itoa(opts.TailLines))
	}
	resp, err := c.stream(ctx, request{method: http.MethodGet, endpoint: "/containers/%s/logs", pathArgs: []string{id}, query: q})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return demux(resp.Body, w, w)
}

// ExecCreate makes an exec session running cmd in a running container with
// stdout and stderr attached, and returns its ID (containers.ExecCreate:
// POST /containers/{id}/exec).
func (c *Client) ExecCreate(ctx context.Context, id string, cmd []string) (string, error) {
	body := struct {
		Cmd          []string
		AttachStdout bool
		AttachStderr bool
	}{cmd, true, true}
	var out struct {
		ID string `json:"Id"`
	}
	err := c.do(ctx, request{method: http.MethodPost, endpoint: "/containers/%s/exec", pathArgs: []string{id}, body: body}, &out)
	return out.ID, err
}

// ExecStart starts an exec session without a terminal and copies its
// output, until it ends, into stdout and stderr (containers.ExecStartAndAttach
// without a terminal or stdin: POST /exec/{id}/start {"Detach":false}).
//
// The service hijacks the connection and answers "200 OK" with no length,
// then the multiplexed stream until the process ends and it closes the
// connection: the response body is that stream. (The binding reads the
// dialled socket instead, which it needs only for stdin and terminals, and
// swaps the shared connection's transport to get it.)
func (c *Client) ExecStart(ctx context.Context, session string, stdout, stderr io.Writer) error {
	body := struct {
		Detach bool `json:"Detach"`
		TTY    bool `json:"Tty"`
	}{}
	resp, err := c.stream(ctx, request{method: http.MethodPost, endpoint: "/exec/%s/start", pathArgs: []string{session}, body: body})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return demux(resp.Body, stdout, stderr)
}

// ExecExitCode is an ended exec session's exit code (containers.ExecInspect:
// GET /exec/{id}/json).
func (c *Client) ExecExitCode(ctx context.Context, session string) (int, error) {
	var out struct{ ExitCode int }
	err := c.do(ctx, request{method: http.MethodGet, endpoint: "/exec/%s/json", pathArgs: []string{session}}, &out)
	return out.ExitCode, err
}
