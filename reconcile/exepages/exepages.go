package exepages

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Range is one mapping [Start, End) of the executable.
type Range struct{ Start, End uintptr }

// Releasable returns the mappings of the file exe in smaps (the text of
// /proc/self/smaps) that hold only clean pages of the file: private,
// not writable (text r-xp, read-only data r--p) and with no anonymous
// page. That last condition keeps out the RELRO segment of a binary
// linked with cgo: read-only now, but the dynamic linker wrote the GOT
// in it (the addresses of libc's functions) before it was made so, and
// MADV_DONTNEED would turn those pages back into the file's unrelocated
// bytes (a call through the GOT then jumps to 0). Mappings it cannot
// read are skipped (the format is the kernel's).
func Releasable(smaps, exe string) []Range {
	var out []Range
	var cur *Range // the mapping whose fields follow, when it qualifies
	for _, line := range strings.Split(smaps, "\n") {
		f := strings.Fields(line)
		if r, ok := mappingLine(f); ok {
			cur = nil
			if len(f) >= 6 && strings.Join(f[5:], " ") == exe && readOnlyPrivate(f[1]) {
				cur = &r
			}
			continue
		}
		if cur != nil && len(f) >= 2 && f[0] == "Anonymous:" {
			if f[1] == "0" {
				out = append(out, *cur)
			}
			cur = nil
		}
	}
	return out
}

// mappingLine reads the header of one mapping: "start-end perms offset
// dev inode [path]".
func mappingLine(f []string) (Range, bool) {
	if len(f) < 5 {
		return Range{}, false
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	if !ok {
		return Range{}, false
	}
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || end <= start || len(f[1]) != 4 {
		return Range{}, false
	}
	return Range{uintptr(start), uintptr(end)}, true
}

func readOnlyPrivate(perms string) bool {
	return perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p'
}

// Release drops this process's mappings of its executable's clean
// read-only pages (doc.go) and returns how many bytes of address space
// it advised.
func Release() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("release executable pages: %w", err)
	}
	smaps, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, fmt.Errorf("release executable pages: %w", err)
	}
	var n int64
	for _, r := range Releasable(string(smaps), exe) {
		// The addresses come from the kernel, not from Go pointers: the
		// raw system call keeps them uintptrs (no unsafe.Pointer).
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, r.Start, r.End-r.Start, unix.MADV_DONTNEED); e != 0 {
			return n, fmt.Errorf("release executable pages %#x-%#x of %s: madvise: %w", r.Start, r.End, exe, e)
		}
		n += int64(r.End - r.Start)
	}
	return n, nil
}

// Keep releases the executable's pages after first (once the start's code
// ran) and then every interval until ctx ends, so that code run once (the
// start, a rare path) does not stay resident. An error ends it: the
// process works the same without.
func Keep(ctx context.Context, first, interval time.Duration) error {
	t := time.NewTimer(first)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		if _, err := Release(); err != nil {
			return err
		}
		t.Reset(interval)
	}
}

// The controller's and the agent's schedule: the first release once the
// start is over, then one a minute (a few thousand minor faults each time
// for the pages in use, against tens of MB of pages that code run once
// would otherwise keep resident).
const (
	First    = 20 * time.Second
	Interval = time.Minute
)
