package agent

import (
	"context"
	"os"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// ReasonFailedMount is the kubelet's event reason when a volume's files
// cannot be set up or updated.
const ReasonFailedMount = "FailedMount"

// defaultVolumeSyncInterval is how often the files of the configMap,
// secret, downwardAPI and projected volumes of running pods are brought up
// to date. The kubelet does it on its pod sync (every minute, plus its
// object cache's delay); the agent's sync is cheaper and runs more often.
const defaultVolumeSyncInterval = 10 * time.Second

// refreshVolumes brings the files of the volumes of running pods up to
// date with the objects they project and the pod's own labels and
// annotations, as the kubelet does: the containers see the new files
// without a restart (through the ..data swap, atomic_writer.go), while a
// subPath mount keeps the file it was started with. It runs at most every
// Options.VolumeSyncInterval, after the sync's actions.
func (a *Agent) refreshVolumes(ctx context.Context, desired []*corev1.Pod, observed []ObservedPod) {
	now := a.opts.Clock()
	a.mu.Lock()
	due := a.volumesSynced.IsZero() || now.Sub(a.volumesSynced) >= a.opts.VolumeSyncInterval
	if due {
		a.volumesSynced = now
	}
	a.mu.Unlock()
	if !due {
		return
	}
	live := map[string]bool{}
	for _, op := range observed {
		for _, c := range op.Containers {
			if c.Running() {
				live[op.UID] = true
			}
		}
	}
	oc := newObjectCache(a.opts.ControlPlane)
	oc.host = *a.opts.Host
	for _, pod := range desired {
		uid := string(pod.UID)
		if pod.DeletionTimestamp != nil || !live[uid] || a.isStopping(uid) {
			continue
		}
		for _, v := range pod.Spec.Volumes {
			if !projectsObjects(v) {
				continue
			}
			dir := volumeDir(a.opts.DataDir, pod, v.Name)
			if !volumeReady(dir, holdsSecrets(v)) {
				continue // not set up by a container start yet: prepareVolumes writes it then
			}
			changed, err := writeVolume(ctx, oc, pod, v, dir)
			if err == nil && changed {
				err = ownRewrittenVolume(pod, dir)
			}
			if err != nil {
				a.events.record(ctx, pod, "", corev1.EventTypeWarning, ReasonFailedMount, "MountVolume.SetUp failed for volume %q : %v", v.Name, err)
				continue
			}
			if changed {
				a.log.Info("volume files updated", "pod", podKey(pod), "volume", v.Name)
			}
		}
	}
}

// volumeReady says whether a volume's directory was set up: it exists and,
// for secret material, is still the tmpfs (Secret values never go to disk).
func volumeReady(dir string, secret bool) bool {
	if _, err := os.Stat(dir); err != nil {
		return false
	}
	if secret {
		ok, err := isTmpfs(dir)
		return err == nil && ok
	}
	return true
}

func (a *Agent) isStopping(uid string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stopping[uid]
}
