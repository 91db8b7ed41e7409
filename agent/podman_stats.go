package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/containers/podman/v5/pkg/bindings/containers"
)

// Stats reads the counters of every running container of the Podman
// service in one call (GET /containers/stats, stream=false); the agent
// keeps those of its own pods (PodUsage matches them by ID).
func (r *PodmanRuntime) Stats(ctx context.Context) ([]ContainerSample, error) {
	ch, err := containers.Stats(r.ctx(ctx), nil, new(containers.StatsOptions).WithStream(false).WithAll(false))
	if err != nil {
		return nil, fmt.Errorf("reading container stats from Podman: %w", err)
	}
	var out []ContainerSample
	for rep := range ch {
		if rep.Error != nil {
			// drain: the binding's goroutine ends with the response
			for range ch {
			}
			return nil, fmt.Errorf("reading container stats from Podman: %w", rep.Error)
		}
		for _, s := range rep.Stats {
			at := time.Unix(0, int64(s.SystemNano))
			if s.SystemNano == 0 {
				at = time.Now()
			}
			out = append(out, ContainerSample{ID: s.ContainerID, CPUNanos: s.CPUNano, MemoryWorkingSet: s.MemUsage, At: at})
		}
	}
	return out, nil
}
