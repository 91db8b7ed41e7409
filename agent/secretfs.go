package agent

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/moby/sys/mountinfo"
	"golang.org/x/sys/unix"
)

// Secret volumes live in memory, as the kubelet keeps them: each is its own
// tmpfs mounted at the volume's directory (nosuid, nodev, noexec), so no
// Secret value is ever written to the node's disk, and the mount goes when
// the pod goes (removePodDir). Files are mode 0400 unless defaultMode or an
// item's mode says otherwise.

// tmpfsMagic is TMPFS_MAGIC of statfs(2).
const tmpfsMagic = 0x01021994

// secretVolumeSize caps one secret volume's tmpfs; a Secret holds at most
// about 1 MiB, and an update writes each file beside the old one first.
const secretVolumeSize = "16m"

// defaultSecretMode is the mode of secret volume files when the pod gives
// none: 0400 (owner read), tighter than Kubernetes' 0644.
const defaultSecretMode = 0o400

// isTmpfs says whether dir is on a tmpfs.
func isTmpfs(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, err
	}
	return int64(st.Type) == tmpfsMagic, nil
}

// ensureTmpfs makes dir a tmpfs mount unless it is one already (an agent
// restarted while its pods ran finds the mount in place).
func ensureTmpfs(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if ok, err := isTmpfs(dir); err != nil || ok {
		return err
	}
	err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=0755,size="+secretVolumeSize)
	if err != nil {
		return fmt.Errorf("mounting a tmpfs for the secret volume at %s: %w (the agent needs root to keep Secrets off the disk)", dir, err)
	}
	return nil
}

// mountsUnder lists the mount points at or below dir (moby's mountinfo
// parser reads /proc/self/mountinfo and undoes its escapes), deepest first
// so a parent is unmounted after what it holds.
func mountsUnder(dir string) ([]string, error) {
	infos, err := mountinfo.GetMounts(mountinfo.PrefixFilter(filepath.Clean(dir)))
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(infos))
	for _, m := range infos {
		out = append(out, m.Mountpoint)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out, nil
}

// removePodDir unmounts the pod's secret volumes and deletes its directory.
func removePodDir(dataDir, uid string) error {
	dir := podDir(dataDir, uid)
	mounts, err := mountsUnder(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for _, mp := range mounts {
		if err := unix.Unmount(mp, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("unmounting %s: %w", mp, err)
		}
	}
	return os.RemoveAll(dir)
}
