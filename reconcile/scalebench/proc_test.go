package scalebench

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	for _, tc := range []struct {
		line string
		want time.Duration
		err  string
	}{
		{"4242 (reconcile) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 150 0 0 20 0 12 0 100 0 0", 4 * time.Second, ""},
		{"7 (a (b) c) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0", 30 * time.Millisecond, ""},
		{"7 reconcile S 1", 0, "no command name"},
		{"7 (x) S 1 2 3", 0, "fields after the name"},
	} {
		got, err := parseStatCPU([]byte(tc.line))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseStatCPU(%q) err = %v, want %q", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("parseStatCPU(%q) = %v, %v; want %v", tc.line, got, err, tc.want)
		}
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\treconcile\nVmPeak:\t 2000 kB\nVmHWM:\t   5120 kB\nVmRSS:\t 4096 kB\n"
	if got, err := parseStatusKB([]byte(status), "VmHWM:"); err != nil || got != 5<<20 {
		t.Errorf("VmHWM = %d, %v; want %d", got, err, 5<<20)
	}
	if _, err := parseStatusKB([]byte("Name:\tx\n"), "VmHWM:"); err == nil {
		t.Error("no VmHWM line: no error")
	}
}

// TestProcOfThisProcess reads the real /proc of the test process.
func TestProcOfThisProcess(t *testing.T) {
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Error(err)
	}
	if rss, err := PeakRSS(os.Getpid()); err != nil || rss <= 0 {
		t.Errorf("PeakRSS = %d, %v", rss, err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "a"), make([]byte, 100), 0o644)
	os.MkdirAll(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "b"), make([]byte, 23), 0o644)
	if n, err := DirSize(dir); err != nil || n != 123 {
		t.Errorf("DirSize = %d, %v; want 123", n, err)
	}
}
