package agent

import (
	"time"

	"github.com/reconcile-dev/reconcile/agent/libpod"
)

// Telling a hand-made `podman stop` from a crash (issue 8). Podman 4.3 keeps
// "stopped by user" to itself (inspect shows it only from Podman 5) and
// emits no "stop" event, and a program that exits 0 on SIGTERM leaves no
// exit code to go by. What it does show, in its event stream: a container
// stopped through Podman (CLI or API) is cleaned up twice, once by the
// stopper and once by conmon's exit command, while a process that ends on
// its own is cleaned up once, by conmon. A "kill" event (podman kill) or a
// "stop" event (newer Podman) says so directly. The agent's own stops look
// the same; Sync tells them apart by Issued.Stopped.
//
// The second cleanup follows the death by a few hundred milliseconds (over
// a second on a loaded host: the stopper is a separate podman process), so a
// container that died less than exitSettleTime ago with one cleanup seen is
// "settling": Sync waits for it instead of restarting it as a crash.

// exitSettleTime is how long after a death the agent waits for the events
// that say the container was stopped by hand.
const exitSettleTime = 2 * time.Second

// exitWatch is what the event stream told about one container's end.
type exitWatch struct {
	DiedAt   time.Time
	Cleanups int  // cleanup events since the death
	ByHand   bool // stopped or killed through Podman
}

// nextExitWatch folds one event (its status: died, cleanup, stop, kill)
// into w. It is pure.
func nextExitWatch(w exitWatch, status string, at time.Time) exitWatch {
	switch status {
	case "died":
		return exitWatch{DiedAt: at, ByHand: w.ByHand}
	case "cleanup":
		w.Cleanups++
		if w.Cleanups >= 2 {
			w.ByHand = true
		}
	case "stop", "kill":
		w.ByHand = true
	case "start", "restart", "init":
		return exitWatch{}
	}
	return w
}

// settling says whether an exited container may still turn out stopped by
// hand: it died under exitSettleTime ago and nothing decided it yet. It is
// pure.
func (w exitWatch) settling(now time.Time) bool {
	return !w.ByHand && !w.DiedAt.IsZero() && w.Cleanups < 2 && now.Sub(w.DiedAt) < exitSettleTime
}

// eventStatus is the event's action ("died", "cleanup", ...).
func eventStatus(e libpod.Event) string {
	if e.Action != "" {
		return e.Action
	}
	return e.Status
}

// noteExitEvent records a container event; it says whether the agent
// should look again now (the container was stopped by hand).
func (r *PodmanRuntime) noteExitEvent(id, status string, at time.Time) (byHandNow bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.exits == nil {
		r.exits = map[string]exitWatch{}
	}
	was := r.exits[id]
	w := nextExitWatch(was, status, at)
	r.exits[id] = w
	return w.ByHand && !was.ByHand
}

// exitFacts is what List reports about an exited container that finished
// at finishedAt (Podman's ExitedAt: whole seconds).
func (r *PodmanRuntime) exitFacts(id string, finishedAt, now time.Time) (byHand, settling bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.exits[id]
	if !ok {
		return false, unseenExitSettling(finishedAt, now)
	}
	return w.ByHand, w.settling(now)
}

// unseenExitSettling says whether an exit that List shows before the event
// stream told of it may still turn out stopped by hand. Under load the
// stream lags behind List; without this, a `podman stop` seen first by List
// was restarted as a crash. finishedAt has whole seconds, cut down, hence
// the extra second. It is pure.
func unseenExitSettling(finishedAt, now time.Time) bool {
	return !finishedAt.IsZero() && now.Sub(finishedAt) < exitSettleTime+time.Second
}
