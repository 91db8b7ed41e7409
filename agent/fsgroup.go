package agent

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	corev1 "k8s.io/api/core/v1"
)

// Volume ownership for fsGroup, as the kubelet's SetVolumeOwnership: every
// file and directory of the pod's own volumes (emptyDir, configMap, secret,
// downwardAPI; claims through PodmanRuntime.ownVolume; not hostPath, whose
// files belong to the node) gets group
// fsGroup and group read (and write, for writable volumes) permission;
// directories also get group execute and setgid, so what the containers
// create inside stays group fsGroup.
const (
	fsGroupRW   = os.FileMode(0o660)
	fsGroupRO   = os.FileMode(0o440)
	fsGroupExec = os.FileMode(0o110)
)

// applyFSGroup gives the pod's volume directories (dirs, by volume name, from
// prepareVolumes) to its fsGroup. With fsGroupChangePolicy OnRootMismatch a
// volume whose root is already right is not walked.
func applyFSGroup(pod *corev1.Pod, dirs map[string]string) error {
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.FSGroup == nil {
		return nil
	}
	gid := int(*psc.FSGroup)
	onMismatch := psc.FSGroupChangePolicy != nil && *psc.FSGroupChangePolicy == corev1.FSGroupChangeOnRootMismatch
	for _, v := range pod.Spec.Volumes {
		dir, ok := dirs[v.Name]
		if !ok || v.HostPath != nil {
			continue
		}
		readOnly := v.EmptyDir == nil // configMap, secret, downwardAPI: the kubelet's read-only volumes
		if onMismatch && !needsOwnershipChange(dir, gid, readOnly) {
			continue
		}
		if err := setVolumeOwnership(dir, gid, readOnly); err != nil {
			return fmt.Errorf("volume %s: giving it to fsGroup %d: %w", v.Name, gid, err)
		}
	}
	return nil
}

// ownRewrittenVolume gives the files just rewritten in a configMap,
// secret, downwardAPI or projected volume (volume_refresh.go) to the
// pod's fsGroup, as the kubelet sets a volume's ownership after each
// update; with OnRootMismatch too, since the new files are not the root's.
func ownRewrittenVolume(pod *corev1.Pod, dir string) error {
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.FSGroup == nil {
		return nil
	}
	return setVolumeOwnership(dir, int(*psc.FSGroup), true)
}

// podFSGroup is the pod's fsGroup for the runtime's named volumes; nil without one.
func podFSGroup(pod *corev1.Pod) *FSGroup {
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.FSGroup == nil {
		return nil
	}
	return &FSGroup{GID: *psc.FSGroup, OnRootMismatch: psc.FSGroupChangePolicy != nil && *psc.FSGroupChangePolicy == corev1.FSGroupChangeOnRootMismatch}
}

func setVolumeOwnership(dir string, gid int, readOnly bool) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if err := os.Lchown(path, -1, gid); err != nil {
			return err
		}
		if info.Mode()&os.ModeSymlink != 0 {
			return nil // a symlink's mode means nothing
		}
		return os.Chmod(path, info.Mode()|ownershipMask(info.IsDir(), readOnly))
	})
}

func ownershipMask(dir, readOnly bool) os.FileMode {
	mask := fsGroupRW
	if readOnly {
		mask = fsGroupRO
	}
	if dir {
		mask |= os.ModeSetgid | fsGroupExec
	}
	return mask
}

// needsOwnershipChange is the kubelet's requiresPermissionChange: the root
// of the volume has another group, lacks the group permissions or setgid.
func needsOwnershipChange(dir string, gid int, readOnly bool) bool {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return true
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Gid) != gid {
		return true
	}
	want := ownershipMask(true, readOnly)
	return fi.Mode().Perm()&want.Perm() != want.Perm() || fi.Mode()&os.ModeSetgid == 0
}
