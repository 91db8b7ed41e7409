package scalebench

import (
	"context"
	"errors"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// podState is what the benchmark needs of a pod.
type podState struct {
	key         objects.Key
	node        string
	revision    string
	running     bool
	terminating bool
}

// tracker follows every pod through the API's watch (a list, then a watch
// from its resourceVersion; again after the watch ends), recording when
// it first saw each pod bound to a node. Its counts are read while phases
// wait; a controller that stops answering leaves them where they were.
type tracker struct {
	mu    sync.Mutex
	pods  map[string]podState // by uid
	binds []time.Time         // when the watch first saw a pod bound
	// lastRunning is when the watch last saw a pod become Running: the
	// end of a phase waiting for pods, finer than its 500 ms poll.
	lastRunning time.Time
	// seen is when the watch first saw each pod created, bound and
	// Running, by revision: the stages of a phase (stages).
	seen map[string]*stageTimes
	now  func() time.Time
}

// stageTimes are the times the watch first saw a revision's pods reach
// each stage, in the order it saw them.
type stageTimes struct{ created, bound, running []time.Time }

func newTracker(now func() time.Time) *tracker {
	return &tracker{pods: map[string]podState{}, seen: map[string]*stageTimes{}, now: now}
}

// apply records one pod as the API showed it (deleted: gone).
func (t *tracker) apply(p *corev1.Pod, deleted bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	uid := string(p.UID)
	if deleted {
		delete(t.pods, uid)
		return
	}
	old, seen := t.pods[uid]
	s := podState{key: objects.Key{Kind: "Pod", Namespace: p.Namespace, Name: p.Name}, node: p.Spec.NodeName, revision: p.Labels[LabelRevision],
		running: p.Status.Phase == corev1.PodRunning, terminating: p.DeletionTimestamp != nil}
	st := t.seen[s.revision]
	if st == nil {
		st = &stageTimes{}
		t.seen[s.revision] = st
	}
	now := t.now()
	if !seen {
		st.created = append(st.created, now)
	}
	if s.node != "" && (!seen || old.node == "") {
		t.binds = append(t.binds, now)
		st.bound = append(st.bound, now)
	}
	if s.running && (!seen || !old.running) {
		t.lastRunning = now
		st.running = append(st.running, now)
	}
	t.pods[uid] = s
}

// PodCounts is how far the pods of a revision got, as the API's watch
// showed them: existing (not being deleted), bound to a node, Running.
type PodCounts struct {
	Created int `json:"created"`
	Bound   int `json:"bound"`
	Running int `json:"running"`
}

// counts counts the pods of revision that are not being deleted and are on
// no node of lost.
func (t *tracker) counts(revision string, lost map[string]bool) PodCounts {
	t.mu.Lock()
	defer t.mu.Unlock()
	var c PodCounts
	for _, s := range t.pods {
		if s.terminating || s.revision != revision || lost[s.node] {
			continue
		}
		c.Created++
		if s.node != "" {
			c.Bound++
		}
		if s.running {
			c.Running++
		}
	}
	return c
}

// running counts the running pods of revision off the lost nodes.
func (t *tracker) running(revision string, lost map[string]bool) int {
	return t.counts(revision, lost).Running
}

// throughput is pods bound per second since.
func (t *tracker) throughput(since time.Time) float64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Throughput(t.binds, since)
}

// lastRunningSince is the time from since until the watch last saw a pod
// become Running (0 when none did after since).
func (t *tracker) lastRunningSince(since time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastRunning.Before(since) {
		return 0
	}
	return t.lastRunning.Sub(since)
}

// Stages is when the watch saw a revision's pods reach each stage, in
// seconds from a phase's start: the first and the last pod created (seen
// at all), bound to a node, and Running. Where a commit's time goes: the
// controllers (commit → pods created), the scheduler (→ bound), the
// agents and their status writes (→ Running).
type Stages struct {
	FirstCreated float64 `json:"firstCreated"`
	LastCreated  float64 `json:"lastCreated"`
	FirstBound   float64 `json:"firstBound"`
	LastBound    float64 `json:"lastBound"`
	FirstRunning float64 `json:"firstRunning"`
	LastRunning  float64 `json:"lastRunning"`
}

// stages is when revision's pods reached each stage after since (nil when
// the watch saw none of them after since).
func (t *tracker) stages(revision string, since time.Time) *Stages {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.seen[revision]
	if st == nil {
		return nil
	}
	span := func(ts []time.Time) (first, last float64) {
		seen := false
		for _, at := range ts {
			if at.Before(since) {
				continue
			}
			d := at.Sub(since).Seconds()
			if !seen || d < first {
				first = d
			}
			last, seen = max(last, d), true
		}
		return first, last
	}
	var s Stages
	s.FirstCreated, s.LastCreated = span(st.created)
	s.FirstBound, s.LastBound = span(st.bound)
	s.FirstRunning, s.LastRunning = span(st.running)
	if s.LastCreated == 0 && s.LastBound == 0 && s.LastRunning == 0 {
		return nil
	}
	return &s
}

// runningOnOneNode returns a node with running pods of revision and
// those pods (none: "").
func (t *tracker) runningOnOneNode(revision string) (string, []objects.Key) {
	t.mu.Lock()
	defer t.mu.Unlock()
	node := ""
	var keys []objects.Key
	for _, s := range t.pods {
		if !s.running || s.terminating || s.revision != revision || (node != "" && s.node != node) {
			continue
		}
		node = s.node
		keys = append(keys, s.key)
	}
	return node, keys
}

// follow lists and watches pods until ctx ends; errors are retried after a
// second (the controller may be overloaded: the benchmark measures that,
// it does not stop for it).
func (t *tracker) follow(ctx context.Context, c *apiclient.Client) {
	var rv uint64
	for ctx.Err() == nil {
		if rv == 0 {
			lctx, cancel := context.WithTimeout(ctx, time.Minute)
			objs, listRV, err := c.List(lctx, "Pod", "", nil)
			cancel()
			if err != nil {
				sleep(ctx, time.Second)
				continue
			}
			t.reset(objs)
			rv = listRV
		}
		err := c.Watch(ctx, rv, "Pod", "", func(ev apiclient.WatchEvent) bool {
			if p, ok := ev.Object.(*corev1.Pod); ok {
				t.apply(p, ev.Type == "DELETED")
			}
			rv = max(rv, ev.ResourceVersion)
			return true
		})
		if errors.Is(err, apiclient.ErrGone) {
			rv = 0
		}
		if err != nil {
			sleep(ctx, time.Second)
		}
	}
}

// reset replaces the pods with a fresh list (pods missed while the watch
// was down count as bound now).
func (t *tracker) reset(objs []objects.Object) {
	listed := map[string]bool{}
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok {
			listed[string(p.UID)] = true
			t.apply(p, false)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for uid := range t.pods {
		if !listed[uid] {
			delete(t.pods, uid)
		}
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
