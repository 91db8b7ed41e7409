package testkit

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestGoldenMatchesAndReportsDifferences(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.golden")
	if err := os.WriteFile(path, []byte("a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	Golden(t, path, []byte("a\n"))
	ft := &fakeT{TB: t}
	Golden(ft, path, []byte("b\n"))
	if !ft.failed {
		t.Fatal("a different output did not fail the golden comparison")
	}
}

func TestClockMoves(t *testing.T) {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c := NewClock(start)
	c.Add(time.Minute)
	if got := c.Now(); !got.Equal(start.Add(time.Minute)) {
		t.Fatalf("Now = %s after Add(1m)", got)
	}
	c.Set(start)
	if !c.Now().Equal(start) {
		t.Fatal("Set did not move the clock")
	}
}

func TestPollReturnsTheLastError(t *testing.T) {
	n := 0
	if err := Poll(time.Second, func() error {
		n++
		if n < 3 {
			return errors.New("not yet")
		}
		return nil
	}); err != nil || n != 3 {
		t.Fatalf("Poll = %v after %d calls, want nil after 3", err, n)
	}
	want := errors.New("never")
	if err := Poll(0, func() error { return want }); err != want {
		t.Fatalf("Poll past its limit = %v, want the last error", err)
	}
}

// fakeT records failures instead of failing the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Errorf(string, ...any) { f.failed = true }
func (f *fakeT) Fatalf(string, ...any) { f.failed = true }
func (f *fakeT) Helper()               {}
