package agent

import (
	"testing"
	"time"
)

// The event sequences Podman 4.3 emits (checked by hand with `podman
// events`): a stop through Podman cleans up twice, a death on its own once.
func TestExitWatchFromEvents(t *testing.T) {
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	for _, tc := range []struct {
		name           string
		events         []string
		now            int // ms after t0 (events come at 0, 100, 200, ...)
		byHand, settle bool
	}{
		{"podman stop: died, cleanup, cleanup", []string{"died", "cleanup", "cleanup"}, 300, true, false},
		{"exit on its own: died, cleanup; settling at first", []string{"died", "cleanup"}, 300, false, true},
		{"exit on its own, settled", []string{"died", "cleanup"}, int(exitSettleTime/time.Millisecond) + 500, false, false},
		{"podman kill", []string{"kill", "died", "cleanup"}, 300, true, false},
		{"stop event of newer Podman", []string{"stop", "died", "cleanup"}, 300, true, false},
		{"started again by hand: forgotten", []string{"died", "cleanup", "cleanup", "start"}, 400, false, false},
		{"no events seen (agent restarted)", nil, 300, false, false},
	} {
		var w exitWatch
		for i, e := range tc.events {
			w = nextExitWatch(w, e, at(100*i))
		}
		if w.ByHand != tc.byHand || w.settling(at(tc.now)) != tc.settle {
			t.Errorf("%s: byHand %v settling %v; want %v, %v", tc.name, w.ByHand, w.settling(at(tc.now)), tc.byHand, tc.settle)
		}
	}
}

// An exit that List shows before the event stream told of it is settling
// for a moment (ExitedAt has whole seconds), then a crash unless events came.
func TestUnseenExitSettling(t *testing.T) {
	finished := t0.Truncate(time.Second)
	for _, tc := range []struct {
		name string
		now  time.Time
		want bool
	}{
		{"just exited", finished.Add(300 * time.Millisecond), true},
		{"within the cut second", finished.Add(exitSettleTime + 900*time.Millisecond), true},
		{"settled", finished.Add(exitSettleTime + time.Second), false},
	} {
		if got := unseenExitSettling(finished, tc.now); got != tc.want {
			t.Errorf("%s: unseenExitSettling = %v, want %v", tc.name, got, tc.want)
		}
	}
	if unseenExitSettling(time.Time{}, t0) {
		t.Error("an exit with no time is settling")
	}
}
