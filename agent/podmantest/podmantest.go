// Package podmantest holds what tests need to tear down a private Podman
// storage without touching anyone else's.
//
// `podman system reset` is not that: besides the given --root it removes
// host-wide state other Podman services rely on (network configs in
// /etc/containers/networks, the cgroupfs libpod_parent cgroup), so a test
// that ran it broke the pods of tests running beside it ("cgroup is not
// set"). Unmounting what lies under the storage directory and removing it
// is all a private storage needs.
package podmantest

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/moby/sys/mountinfo"
)

// RemoveStorage lazily unmounts every mount under dir (overlay layers,
// shm, the storage's own bind mounts), deepest first, then removes dir.
func RemoveStorage(dir string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	for _, m := range mountsUnder(dir) {
		syscall.Unmount(m, syscall.MNT_DETACH)
	}
	return os.RemoveAll(dir)
}

// mountsUnder lists the mount points at or below dir, deepest first, so a
// parent is unmounted after what it holds.
func mountsUnder(dir string) []string {
	infos, _ := mountinfo.GetMounts(mountinfo.PrefixFilter(dir))
	out := make([]string, 0, len(infos))
	for _, m := range infos {
		out = append(out, m.Mountpoint)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}
