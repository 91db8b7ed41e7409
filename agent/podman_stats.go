package agent

import (
	"context"
	"fmt"
	"time"
)

// Stats reads the counters of every running container of the Podman
// service in one call (GET /containers/stats, stream=false); the agent
// keeps those of its own pods (PodUsage matches them by ID).
func (r *PodmanRuntime) Stats(ctx context.Context) ([]ContainerSample, error) {
	stats, err := r.api.Stats(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading container stats from Podman: %w", err)
	}
	out := make([]ContainerSample, 0, len(stats))
	for _, s := range stats {
		at := time.Unix(0, int64(s.SystemNano))
		if s.SystemNano == 0 {
			at = time.Now()
		}
		out = append(out, ContainerSample{ID: s.ContainerID, CPUNanos: s.CPUNano, MemoryWorkingSet: s.MemUsage, At: at})
	}
	return out, nil
}
