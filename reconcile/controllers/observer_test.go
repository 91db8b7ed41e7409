package controllers

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// recordingObserver keeps what the runner reported.
type recordingObserver struct {
	mu         sync.Mutex
	steps      map[string]int
	maxDepth   map[string]int
	lastDepth  map[string]int
	scheduled  int
	unschedNow int
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{steps: map[string]int{}, maxDepth: map[string]int{}, lastDepth: map[string]int{}}
}

func (o *recordingObserver) QueueDepth(kind string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.maxDepth[kind] = max(o.maxDepth[kind], n)
	o.lastDepth[kind] = n
}

func (o *recordingObserver) StepDone(kind string, _ time.Duration, _ bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.steps[kind]++
}

func (o *recordingObserver) Scheduled(s SchedulingStats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.scheduled += s.Scheduled
	o.unschedNow = s.Unschedulable
}

// The runner reports its steps, queue depths and scheduler runs: pods of
// a Deployment are unschedulable until a node is ready, then scheduled, and
// the queue is reported empty once the runner is idle.
func TestManagerReportsToObserver(t *testing.T) {
	obs := newRecordingObserver()
	st := startManager(t, Options{Observer: obs})
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 2, "img")) })
	snapshot := func() recordingObserver {
		obs.mu.Lock()
		defer obs.mu.Unlock()
		return recordingObserver{steps: map[string]int{"Deployment": obs.steps["Deployment"], "#schedule": obs.steps["#schedule"]},
			maxDepth: map[string]int{"Deployment": obs.maxDepth["Deployment"]}, lastDepth: map[string]int{"Deployment": obs.lastDepth["Deployment"]},
			scheduled: obs.scheduled, unschedNow: obs.unschedNow}
	}
	testkit.Eventually(t, 30*time.Second, "two unschedulable pods reported", func() error {
		if s := snapshot(); s.unschedNow != 2 || s.steps["Deployment"] == 0 || s.maxDepth["Deployment"] == 0 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	registerNode(t, st, "n1", "4", time.Now(), true)
	waitFor(t, st, "pods bound", boundPods(2, "n1", "img"))
	testkit.Eventually(t, 30*time.Second, "two pods scheduled, none unschedulable, queue idle", func() error {
		if s := snapshot(); s.scheduled < 2 || s.unschedNow != 0 || s.lastDepth["Deployment"] != 0 || s.steps["#schedule"] == 0 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
}
