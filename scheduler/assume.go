package scheduler

import (
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/scheduler/priority"
)

// Assumed pods, as kube-scheduler's cache: with Scheduler.Assume, a
// placement stays counted on its node when ScheduleOn returns, and the
// pod leaves the queue, while its binding is written elsewhere (the
// controllers' binder goroutine). The binding coming back from the watch
// replaces the assumption (SetPod with spec.nodeName set); a binding that
// failed is undone with Forget (kube-scheduler's ForgetPod), which puts the
// pod back in the queue.

// assumed is one pod placed but not yet seen bound.
type assumed struct {
	uid types.UID
	// pending is the pod as it was queued, restored by Forget.
	pending *corev1.Pod
}

// assume counts pi's pod on node as if bound and takes it out of the
// queue; what it counts is what pi already computed for the placement.
func (s *Snapshot) assume(pi *PodInfo, node string) {
	p := pi.Pod
	k := PodKey(p)
	q := *p // only spec.nodeName differs; the rest is shared, read-only
	q.Spec.NodeName = node
	delete(s.pending, k)
	if old := s.bound[k]; old != nil && !s.stale {
		s.uncount(old)
	}
	b := &boundPod{pod: &q, requests: pi.Requests, scoring: pi.scoring, hostPorts: pi.hostPorts, classKey: pi.classKey}
	s.bound[k] = b
	if s.assumed == nil {
		s.assumed = map[string]assumed{}
	}
	s.assumed[k] = assumed{uid: p.UID, pending: p}
	if !s.stale {
		s.count(b)
	}
}

// Forget undoes the assumption of p's placement (its binding was not
// written): its node no longer counts it and it is pending again. A pod
// that is no longer assumed (bound, deleted or replaced meanwhile) is
// left as the watch made it.
func (s *Snapshot) Forget(p *corev1.Pod) {
	k := PodKey(p)
	a, ok := s.assumed[k]
	if !ok || a.uid != p.UID {
		return
	}
	delete(s.assumed, k)
	if b := s.bound[k]; b != nil {
		delete(s.bound, k)
		if !s.stale {
			s.uncount(b)
		}
	}
	s.track(a.pending)
}

// Assumed is how many placements wait for their binding to come back.
func (s *Snapshot) Assumed() int { return len(s.assumed) }

// keepsAssumption reports whether a change of p from the watch leaves
// its assumption in place: the same pod still pending there (an update
// written before the binding, or of its status) does; bound, finished,
// terminating or replaced does not.
func (s *Snapshot) keepsAssumption(p *corev1.Pod) bool {
	a, ok := s.assumed[PodKey(p)]
	if !ok {
		return false
	}
	if a.uid == p.UID && p.Spec.NodeName == "" && p.DeletionTimestamp == nil && !isTerminal(p) {
		a.pending = p
		s.assumed[PodKey(p)] = a
		return true
	}
	delete(s.assumed, PodKey(p))
	return false
}

// NextPending returns up to limit pending pods in the queue's order
// (queueLess: highest priority, then oldest, then by key) and whether
// more wait in this round. A round walks every pending pod once in
// that order, limit at a time; pods that join the queue meanwhile are
// sorted into what is left of it (a high-priority pod goes first, and
// the pods already tried are not tried again before the round ends, so
// a long line of pods that fit nowhere cannot starve new ones). A call
// after the last pod of a round starts the next round, so pods that fit
// nowhere are tried again; more is true at a round's end when room
// appeared during it (a node added or changed, a bound pod gone), so the
// caller starts the next round at once. limit ≤ 0: every pending pod.
func (s *Snapshot) NextPending(limit int) (pods []*corev1.Pod, more bool) {
	switch {
	case s.round == nil:
		s.round, s.joined, s.freed = s.Pending(), nil, false
		sort.Slice(s.round, func(i, j int) bool { return queueLess(s.round[i], s.round[j]) })
	case len(s.joined) > 0:
		s.round = append(s.round, s.joined...)
		s.joined = nil
		sort.Slice(s.round, func(i, j int) bool { return queueLess(s.round[i], s.round[j]) })
	}
	if limit <= 0 {
		limit = len(s.round)
	}
	for len(s.round) > 0 && len(pods) < limit {
		p := s.round[0]
		s.round = s.round[1:]
		if cur := s.pending[PodKey(p)]; cur != nil {
			pods = append(pods, cur)
		}
	}
	pods = s.withNominated(pods)
	if len(s.round) == 0 {
		s.round = nil
		// Room appeared during the round: the next one starts at once.
		return pods, s.freed
	}
	return pods, true
}

// withNominated adds to a pass the pending pods an earlier pass nominated
// to a node (preemption) that it does not hold. ScheduleOn holds a
// nominee's requests on its node only for the pods of its own pass; one
// pass used to take every pending pod, and a round cut into passes must
// not let the lower-priority pods of the later passes take the room its
// victims free (Kubernetes counts nominated pods in every cycle), or the
// nominee preempts again. A nominee placed in a pass is no longer pending;
// ScheduleOn sorts the pass, so the order here does not matter.
func (s *Snapshot) withNominated(pods []*corev1.Pod) []*corev1.Pod {
	if len(s.nominated) == 0 {
		return pods
	}
	in := make(map[string]bool, len(pods))
	for _, p := range pods {
		in[PodKey(p)] = true
	}
	for k := range s.nominated {
		cur := s.pending[k]
		if cur == nil || cur.Status.NominatedNodeName == "" {
			delete(s.nominated, k)
			continue
		}
		if !in[k] {
			pods = append(pods, cur)
		}
	}
	return pods
}

// queueLess is the scheduling queue's order, Kubernetes' PrioritySort:
// higher priority first, then older, then by key so it is deterministic.
func queueLess(a, b *corev1.Pod) bool {
	if pa, pb := priority.Of(a), priority.Of(b); pa != pb {
		return pa > pb
	}
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace { // PodKey order, without building the keys
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}
