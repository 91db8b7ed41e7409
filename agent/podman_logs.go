package agent

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/reconcile-dev/reconcile/agent/libpod"
)

// Logs streams a container's log into w, frame by frame; when following,
// w is flushed after each frame (an http.Flusher's client sees each line
// as it comes).
func (r *PodmanRuntime) Logs(ctx context.Context, id string, opts LogOptions, w io.Writer) (err error) {
	defer r.countError("logs", &err)
	if f, ok := w.(interface{ Flush() }); ok && opts.Follow {
		w = flushEach{w, f}
	}
	err = r.api.ContainerLogs(ctx, id, libpod.LogOptions{Follow: opts.Follow, Timestamps: opts.Timestamps, TailLines: opts.TailLines}, w)
	var writeErr *libpod.WriteError
	if errors.As(err, &writeErr) {
		return writeErr.Err
	}
	if err != nil && ctx.Err() == nil {
		if isNoSuch(err) {
			return fmt.Errorf("container %s: %w", id, ErrNotFound)
		}
		return fmt.Errorf("reading the log of container %s: %w", id, err)
	}
	return nil
}

// flushEach flushes after every write.
type flushEach struct {
	io.Writer
	f interface{ Flush() }
}

func (w flushEach) Write(p []byte) (int, error) {
	n, err := w.Writer.Write(p)
	if err == nil {
		w.f.Flush()
	}
	return n, err
}
