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

// ReadOnlyRanges returns the read-only mappings of the file exe in maps
// (the text of /proc/self/maps): text (r-xp) and read-only data (r--p).
// Writable or shared mappings, other files and anonymous memory are left
// out. Lines it cannot read are skipped (the format is the kernel's).
func ReadOnlyRanges(maps, exe string) []Range {
	var out []Range
	for _, line := range strings.Split(maps, "\n") {
		// address perms offset dev inode pathname
		f := strings.Fields(line)
		if len(f) < 6 || strings.Join(f[5:], " ") != exe {
			continue
		}
		perms := f[1]
		if len(perms) != 4 || perms[0] != 'r' || perms[1] != '-' || perms[3] != 'p' {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, Range{uintptr(start), uintptr(end)})
	}
	return out
}

// Release drops this process's mappings of its executable's read-only
// pages (doc.go) and returns how many bytes of address space it advised.
func Release() (int64, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("release executable pages: %w", err)
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("release executable pages: %w", err)
	}
	var n int64
	for _, r := range ReadOnlyRanges(string(maps), exe) {
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
