package controllers

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// observed is what a recordingObserver was told.
type observed struct {
	steps, maxDepth, lastDepth map[string]int
	scheduled, waited          int
	unschedulableNow           int
}

type recordingObserver struct {
	mu sync.Mutex
	o  observed
}

func newRecordingObserver() *recordingObserver {
	return &recordingObserver{o: observed{steps: map[string]int{}, maxDepth: map[string]int{}, lastDepth: map[string]int{}}}
}

func (r *recordingObserver) QueueDepth(kind string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.maxDepth[kind] = max(r.o.maxDepth[kind], n)
	r.o.lastDepth[kind] = n
}

func (r *recordingObserver) StepDone(kind string, _ time.Duration, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.steps[kind]++
}

func (r *recordingObserver) Scheduled(s SchedulingStats) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.o.scheduled += s.Scheduled
	r.o.waited += len(s.Waited)
	r.o.unschedulableNow = s.Unschedulable
}

func (r *recordingObserver) snapshot() observed {
	r.mu.Lock()
	defer r.mu.Unlock()
	o := r.o
	o.steps, o.maxDepth, o.lastDepth = maps.Clone(o.steps), maps.Clone(o.maxDepth), maps.Clone(o.lastDepth)
	return o
}

// The runner reports its steps, queue depths and scheduler runs: pods of
// a Deployment are unschedulable until a node is ready, then scheduled, and
// the queue is reported empty once the runner is idle.
func TestManagerReportsToObserver(t *testing.T) {
	obs := newRecordingObserver()
	st := startManager(t, Options{Observer: obs})
	write(t, st, func(tx *store.Tx) error { return tx.Create(deployment("web", 2, "img")) })
	testkit.Eventually(t, 30*time.Second, "two unschedulable pods reported", func() error {
		if s := obs.snapshot(); s.unschedulableNow != 2 || s.steps["Deployment"] == 0 || s.maxDepth["Deployment"] == 0 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
	registerNode(t, st, "n1", "4", time.Now(), true)
	waitFor(t, st, "pods bound", boundPods(2, "n1", "img"))
	testkit.Eventually(t, 30*time.Second, "two pods scheduled, none unschedulable, queue idle", func() error {
		s := obs.snapshot()
		if s.scheduled < 2 || s.waited != s.scheduled || s.unschedulableNow != 0 || s.lastDepth["Deployment"] != 0 || s.steps["#schedule"] == 0 {
			return fmt.Errorf("%+v", s)
		}
		return nil
	})
}
