package agent

import (
	"context"
	"fmt"
	"strings"

	"github.com/containers/podman/v5/pkg/bindings/volumes"
	"github.com/containers/podman/v5/pkg/domain/entities/types"
)

// ensureVolume creates the named volume a claim becomes (a StatefulSet's
// volumeClaimTemplates) with this cluster's label, so it is found like
// every other Podman object the agent makes. A volume that exists is left
// as it is: volumes outlive pods, and one may predate the label or belong
// to someone else's hand. c is a bindings connection context.
func (r *PodmanRuntime) ensureVolume(c context.Context, name string) error {
	ok, err := volumes.Exists(c, name, nil)
	if err != nil {
		return fmt.Errorf("volume %s: %w", name, err)
	}
	if ok {
		return nil
	}
	_, err = volumes.Create(c, types.VolumeCreateOptions{Name: name, Label: r.withCluster(nil)}, nil)
	if err != nil && !strings.Contains(err.Error(), "already exists") { // made meanwhile by another container
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	return nil
}
