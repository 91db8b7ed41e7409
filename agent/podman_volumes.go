package agent

import (
	"context"
	"fmt"
	"strings"

	"github.com/reconcile-dev/reconcile/agent/libpod"
)

// ownVolume gives a named volume's files to the pod's fsGroup (fsgroup.go):
// the agent runs on the Podman service's host, so the volume's mountpoint is
// a directory it can walk.
func (r *PodmanRuntime) ownVolume(c context.Context, name string, g FSGroup) error {
	mountpoint, err := r.api.VolumeMountpoint(c, name)
	if err != nil {
		return fmt.Errorf("volume %s: %w", name, err)
	}
	if mountpoint == "" || (g.OnRootMismatch && !needsOwnershipChange(mountpoint, int(g.GID), false)) {
		return nil
	}
	if err := setVolumeOwnership(mountpoint, int(g.GID), false); err != nil {
		return fmt.Errorf("volume %s: giving it to fsGroup %d: %w", name, g.GID, err)
	}
	return nil
}

// ensureVolume creates the named volume a claim becomes (a StatefulSet's
// volumeClaimTemplates) with this cluster's label, so it is found like
// every other Podman object the agent makes. A volume that exists is left
// as it is: volumes outlive pods, and one may predate the label or belong
// to someone else's hand.
//
// With the pod's fsGroup the volume is made root:fsGroup (Podman's o=uid,gid
// options), which also stops Podman from giving a fresh volume to the
// container's user at its first mount: ownVolume's setgid owner must stay.
func (r *PodmanRuntime) ensureVolume(c context.Context, name string, fsGroup *FSGroup) error {
	ok, err := r.api.VolumeExists(c, name)
	if err != nil {
		return fmt.Errorf("volume %s: %w", name, err)
	}
	if ok {
		return nil
	}
	opts := libpod.VolumeCreate{Name: name, Label: r.withCluster(nil)}
	if fsGroup != nil {
		opts.Options = map[string]string{"o": fmt.Sprintf("uid=0,gid=%d", fsGroup.GID)}
	}
	err = r.api.CreateVolume(c, opts)
	if err != nil && !strings.Contains(err.Error(), "already exists") { // made meanwhile by another container
		return fmt.Errorf("create volume %s: %w", name, err)
	}
	return nil
}
