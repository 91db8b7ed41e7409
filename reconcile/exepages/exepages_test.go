package exepages

import (
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// sampleSmaps: a cgo binary's mappings, each with the smaps fields that
// matter (Rss, Anonymous); the RELRO page (04296000, r--p) holds
// anonymous pages: the GOT the dynamic linker wrote.
const sampleSmaps = `00400000-00403000 r--p 00000000 fc:01 1234 /usr/bin/reconcile
Rss:                  12 kB
Anonymous:             0 kB
00403000-022a2000 r-xp 00003000 fc:01 1234 /usr/bin/reconcile
Rss:               30452 kB
Anonymous:             0 kB
022a2000-04296000 r--p 01ea2000 fc:01 1234 /usr/bin/reconcile
Rss:               32632 kB
Anonymous:             0 kB
04296000-04299000 r--p 03e96000 fc:01 1234 /usr/bin/reconcile
Rss:                  12 kB
Anonymous:            12 kB
04299000-048d5000 rw-p 03e98000 fc:01 1234 /usr/bin/reconcile
Rss:                6384 kB
Anonymous:          1200 kB
048d5000-04900000 rw-p 00000000 00:00 0 
Anonymous:            80 kB
7f0000000000-7f0000001000 r--s 00000000 fc:01 99 /usr/bin/reconcile
Anonymous:             0 kB
7f0000002000-7f0000003000 r-xp 00000000 fc:01 77 /usr/lib/libc.so.6
Anonymous:             0 kB
7f0000004000-7f0000005000 r--p 00000000 fc:01 55 /opt/my dir/reconcile
Anonymous:             0 kB
7f0000006000-7f0000007000 r--p 00000000 fc:01 56 /opt/no-anonymous-line
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
Anonymous:           132 kB
garbage line
ffff-0000 r--p 00000000 fc:01 1234 /usr/bin/reconcile
Anonymous:             0 kB
`

func TestReleasable(t *testing.T) {
	for _, tc := range []struct {
		exe  string
		want []Range
	}{
		// text and read-only data; not the RELRO page (anonymous
		// pages), not the data (rw-p), not a shared mapping of the same
		// file (r--s), not an inverted range
		{"/usr/bin/reconcile", []Range{{0x400000, 0x403000}, {0x403000, 0x22a2000}, {0x22a2000, 0x4296000}}},
		{"/opt/my dir/reconcile", []Range{{0x7f0000004000, 0x7f0000005000}}}, // a path with a space
		{"/opt/no-anonymous-line", nil}, // unknown: left alone
		{"/usr/bin/other", nil},
		{"", nil}, // anonymous mappings are never the executable
	} {
		if got := Releasable(sampleSmaps, tc.exe); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Releasable(%q) = %x, want %x", tc.exe, got, tc.want)
		}
	}
}

// TestReleaseLowersResidentPages: the test binary's own read-only pages
// resident before Release are fewer after it (the code running now faults
// a few back, not all).
func TestReleaseLowersResidentPages(t *testing.T) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Skipf("no /proc/self/exe (not Linux?): %v", err)
	}
	before := residentKB(t, exe)
	if before < 1024 {
		t.Fatalf("only %d kB of %s resident before Release: nothing to measure", before, exe)
	}
	n, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	after := residentKB(t, exe)
	t.Logf("advised %d MB; read-only pages of the executable resident: %d kB before, %d kB after", n>>20, before, after)
	if n == 0 || after >= before {
		t.Fatalf("Release advised %d bytes; resident %d kB before, %d kB after: want fewer", n, before, after)
	}
}

// residentKB sums the Rss of exe's read-only private mappings in
// /proc/self/smaps.
func residentKB(t *testing.T, exe string) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	sum, in := 0, false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) >= 6 && strings.Contains(f[0], "-") && !strings.HasSuffix(f[0], ":"):
			in = strings.Join(f[5:], " ") == exe && readOnlyPrivate(f[1])
		case len(f) >= 2 && f[0] == "Rss:" && in:
			kb, _ := strconv.Atoi(f[1])
			sum += kb
		}
	}
	return sum
}

func FuzzReleasable(f *testing.F) {
	f.Add(sampleSmaps, "/usr/bin/reconcile")
	f.Add("0-1 r--p 0 0:0 0 x\nAnonymous: 0 kB", "x")
	f.Fuzz(func(t *testing.T, smaps, exe string) {
		for _, r := range Releasable(smaps, exe) {
			if r.End <= r.Start {
				t.Fatalf("empty or inverted range %x", r)
			}
		}
	})
}
