package agent

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Event types and the reasons the agent reports, as the kubelet names them.
const (
	ReasonStarted   = "Started"
	ReasonKilling   = "Killing"
	ReasonUnhealthy = "Unhealthy"
	ReasonBackOff   = "BackOff"
	ReasonFailed    = "Failed"
	ReasonOOMKilled = "OOMKilled"
)

// eventCacheSize bounds the agent's memory of events it sent; beyond it the
// oldest half is forgotten (a forgotten event starts a new count).
const eventCacheSize = 2048

// eventRecorder sends Events about pods to the control plane. Like the
// kubelet's correlator it counts repeats itself: the same (pod, container,
// type, reason, message) is sent again under its first name with count+1,
// so the store keeps one event per repeated happening.
type eventRecorder struct {
	cp    ControlPlane
	node  string
	clock func() time.Time
	log   func(msg string, args ...any)

	mu       sync.Mutex
	out      outbox // events queued or in flight (events_send.go)
	seen     map[string]*corev1.Event
	lastNano int64 // names are <pod>.<hex nanotime>, kept unique by never repeating a time
}

func newEventRecorder(cp ControlPlane, node string, clock func() time.Time, log func(string, ...any)) *eventRecorder {
	r := &eventRecorder{cp: cp, node: node, clock: clock, log: log, seen: map[string]*corev1.Event{}}
	r.out.idle = sync.NewCond(&r.mu)
	return r
}

// record queues an event about a pod (container may be "") for sending
// (events_send.go) and returns: as the kubelet's event broadcaster, the
// work that caused it does not wait for the control plane to store it.
// Failures to send are logged, never returned: events are for people and
// must not stop work.
func (r *eventRecorder) record(_ context.Context, pod *corev1.Pod, container, typ, reason, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	// Counted up and queued under one lock: two goroutines (a probe's and
	// the sync's) repeating one event queue its counts in order, so the
	// last queued, the one a wave sends, is the highest.
	r.mu.Lock()
	defer r.mu.Unlock()
	r.enqueue(r.next(pod, container, typ, reason, msg))
}

// next builds the event to send: a new one, or the remembered one counted
// up. Called with mu held.
func (r *eventRecorder) next(pod *corev1.Pod, container, typ, reason, msg string) *corev1.Event {
	now := metav1.NewTime(r.clock().Truncate(time.Second))
	key := string(pod.UID) + "\x00" + container + "\x00" + typ + "\x00" + reason + "\x00" + msg
	if ev, ok := r.seen[key]; ok {
		ev.Count++
		ev.LastTimestamp = now
		return ev.DeepCopy()
	}
	if len(r.seen) >= eventCacheSize {
		r.forgetOldest()
	}
	ev := &corev1.Event{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace,
			Name: fmt.Sprintf("%s.%x", pod.Name, r.uniqueNano())},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", APIVersion: "v1", Namespace: pod.Namespace, Name: pod.Name,
			UID: pod.UID},
		Reason: reason, Message: msg, Type: typ,
		Source:         corev1.EventSource{Component: "reconcile-agent", Host: r.node},
		Count:          1,
		FirstTimestamp: now, LastTimestamp: now,
		ReportingController: "reconcile-agent", ReportingInstance: r.node,
	}
	if container != "" {
		ev.InvolvedObject.FieldPath = "spec.containers{" + container + "}"
	}
	r.seen[key] = ev
	return ev.DeepCopy()
}

// uniqueNano is the clock in nanoseconds, bumped past the last one handed
// out. Called with mu held.
func (r *eventRecorder) uniqueNano() int64 {
	n := r.clock().UnixNano()
	if n <= r.lastNano {
		n = r.lastNano + 1
	}
	r.lastNano = n
	return n
}

// forgetOldest drops the older half of the remembered events. Called with mu held.
func (r *eventRecorder) forgetOldest() {
	var times []time.Time
	for _, ev := range r.seen {
		times = append(times, ev.LastTimestamp.Time)
	}
	cut := medianTime(times)
	for k, ev := range r.seen {
		if !ev.LastTimestamp.Time.After(cut) {
			delete(r.seen, k)
		}
	}
}

func medianTime(ts []time.Time) time.Time {
	if len(ts) == 0 {
		return time.Time{}
	}
	slices.SortFunc(ts, time.Time.Compare)
	return ts[len(ts)/2]
}
