package agent

import (
	"context"
	"fmt"
	"io"
	"strconv"

	"github.com/containers/podman/v5/pkg/bindings/containers"
)

// Logs streams a container's log through the bindings' channels into w.
func (r *PodmanRuntime) Logs(ctx context.Context, id string, opts LogOptions, w io.Writer) (err error) {
	defer r.countError("logs", &err)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	lo := new(containers.LogOptions).WithStdout(true).WithStderr(true).WithFollow(opts.Follow).WithTimestamps(opts.Timestamps)
	if opts.TailLines > 0 {
		lo = lo.WithTail(strconv.Itoa(opts.TailLines))
	}
	lines := make(chan string, 64)
	done := make(chan error, 1)
	go func() {
		err := containers.Logs(r.ctx(ctx), id, lo, lines, lines)
		close(lines)
		done <- err
	}()
	var writeErr error
	for line := range lines {
		if writeErr != nil {
			continue // drain, so the bindings' goroutine can end
		}
		if _, writeErr = io.WriteString(w, line); writeErr != nil {
			cancel()
			continue
		}
		if f, ok := w.(interface{ Flush() }); ok && opts.Follow {
			f.Flush()
		}
	}
	err = <-done
	if writeErr != nil {
		return writeErr
	}
	if err != nil && ctx.Err() == nil {
		if isNoSuch(err) {
			return fmt.Errorf("container %s: %w", id, ErrNotFound)
		}
		return fmt.Errorf("reading the log of container %s: %w", id, err)
	}
	return nil
}
