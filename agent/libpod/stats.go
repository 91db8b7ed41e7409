package libpod

import (
	"encoding/json"
	"fmt"
)

// statsReport is one report of GET /containers/stats
// (entities/types.ContainerStatsReport). The service encodes its Error, a
// Go error value, as whatever JSON the value makes ({} for most): any
// non-null Error is a failed read.
type statsReport struct {
	Error json.RawMessage
	Stats []ContainerStats
}

func (r statsReport) err() error {
	if len(r.Error) == 0 || string(r.Error) == "null" {
		return nil
	}
	return fmt.Errorf("the Podman service reported an error reading stats: %s", r.Error)
}
