package agent

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

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

// mountsUnder lists the mount points at or below dir (from
// /proc/self/mountinfo), deepest first.
func mountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir = filepath.Clean(dir)
	var out []string
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		fields := strings.Fields(s.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, s.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
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
