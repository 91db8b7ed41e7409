package agent

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// Events are sent in waves, off the path of the work that records them: a
// node starting ten pods used to wait for two or three event writes per
// pod, one after another, each a store commit (a consensus round on
// etcd). A wave takes every event queued since the last one and sends
// them at once (at most maxEventsInFlight requests), so the API server's
// store commits them together; the next wave starts when this one is
// answered. Within a wave an event counted up several times is sent once,
// at its last count, and waves never overlap, so a repeated event's count
// only goes up in the store.

// maxEventsInFlight bounds the event requests of one wave in flight.
const maxEventsInFlight = 4

// eventSendTimeout bounds one event's request.
const eventSendTimeout = 5 * time.Second

// outbox is the recorder's queue; its fields are guarded by the
// recorder's mu.
type outbox struct {
	queue   []*corev1.Event
	sending bool       // a wave's goroutine runs
	idle    *sync.Cond // broadcast when a wave is answered
	// queued counts the events queued so far, sent those of them whose
	// wave is answered: flush waits for what was queued before it, not
	// for events other goroutines (probes) keep queueing meanwhile.
	queued, sent uint64
}

// enqueue queues ev and starts a wave unless one runs. Called with mu held.
func (r *eventRecorder) enqueue(ev *corev1.Event) {
	r.out.queue = append(r.out.queue, ev)
	r.out.queued++
	if !r.out.sending {
		r.out.sending = true
		go r.sendWaves()
	}
}

// sendWaves sends waves until the queue is empty.
func (r *eventRecorder) sendWaves() {
	for {
		r.mu.Lock()
		wave, upTo := lastOfEachName(r.out.queue), r.out.queued
		r.out.queue = nil
		if len(wave) == 0 {
			r.out.sending = false
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		r.sendWave(wave)
		r.mu.Lock()
		r.out.sent = upTo
		r.out.idle.Broadcast()
		r.mu.Unlock()
	}
}

// sendWave sends the events of one wave in parallel and waits for all.
func (r *eventRecorder) sendWave(wave []*corev1.Event) {
	eachInParallel(maxEventsInFlight, wave, func(ev *corev1.Event) {
		ctx, cancel := context.WithTimeout(context.Background(), eventSendTimeout)
		defer cancel()
		if err := r.cp.RecordEvent(ctx, ev); err != nil {
			r.log("recording event failed", "pod", ev.InvolvedObject.Namespace+"/"+ev.InvolvedObject.Name, "reason", ev.Reason, "err", err)
		}
	})
}

// flush waits until every event recorded so far has been sent (or its
// sending failed); events recorded after it began do not hold it.
// SyncOnce ends with it, so a sync's events are stored when it returns.
func (r *eventRecorder) flush() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for want := r.out.queued; r.out.sent < want; {
		r.out.idle.Wait()
	}
}

// lastOfEachName keeps, in queue order, the last queued copy of each
// event name (a repeat counted up while the previous wave was in flight).
func lastOfEachName(queue []*corev1.Event) []*corev1.Event {
	last := make(map[string]int, len(queue))
	for i, ev := range queue {
		last[ev.Namespace+"/"+ev.Name] = i
	}
	out := make([]*corev1.Event, 0, len(last))
	for i, ev := range queue {
		if last[ev.Namespace+"/"+ev.Name] == i {
			out = append(out, ev)
		}
	}
	return out
}
