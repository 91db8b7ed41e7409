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
	"bufio"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
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

func mountsUnder(dir string) []string {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescape(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	// Deepest first, so a parent is unmounted after what it holds.
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// unescape undoes mountinfo's octal escapes (\040 for a space).
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v byte
			ok := true
			for _, c := range s[i+1 : i+4] {
				if c < '0' || c > '7' {
					ok = false
					break
				}
				v = v*8 + byte(c-'0')
			}
			if ok {
				b.WriteByte(v)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
