package controllers

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The runner's write path: it calls the steps (recovering their panics)
// and is the only code that writes their Changes to the store.

// keyedChanges is one step's result for one key.
type keyedChanges struct {
	key objects.Key
	ctl *Controller
	ch  Changes
}

// maxObjectsPerTx bounds how many objects one batched transaction writes.
const maxObjectsPerTx = 1000

// ReasonReconcilerPanic is the Warning event's reason on an object whose
// step panicked.
const ReasonReconcilerPanic = "ReconcilerPanic"

// maxPanicMessage is how much of a panic's value the event quotes.
const maxPanicMessage = 200

// run runs c's step for keys and writes the results.
func (m *Manager) run(ctx context.Context, c *Controller, keys []objects.Key, now time.Time) error {
	if len(keys) == 0 {
		return nil
	}
	in := Inputs{Now: now, Suffix: m.cfg.Suffix, Component: c.Component, Scheduler: m.cfg.Scheduler,
		Lifecycle: m.cfg.NodeLifecycle, Usage: m.cfg.Usage, Leases: m.cfg.Leases, autoscalers: m.autoscalers, LoadBalancer: m.cfg.LoadBalancer, cache: m.inf.cache, ownerKinds: m.ownerKinds, assume: m.binder != nil}
	if c.BatchClock && m.cfg.BatchNow != nil {
		in.Now = m.cfg.BatchNow()
	}
	steps := make([]keyedChanges, 0, len(keys))
	var adm *Admission // one chain per pass: quota tallies span its keys
	for _, k := range keys {
		ch, ok := m.call(c, in, k)
		if !ok {
			continue
		}
		if len(ch.Create) > 0 { // admission of the pods it creates (admission.go, priority.go)
			if adm == nil {
				adm = in.cache.admission(now)
			}
			ch = AdmitCreatedPods(adm, in.cache.get(k), ch, c.Component, now)
		}
		if c.Every > 0 {
			m.q.addAfter(k, now, c.Every)
		}
		steps = append(steps, keyedChanges{k, c, ch})
	}
	return m.writeSteps(ctx, steps)
}

// call runs one step. A panic is isolated to its key: it is logged with
// the key and the stack, recorded as a Warning event on the object, and
// the key is retried with backoff; every other key goes on.
func (m *Manager) call(c *Controller, in Inputs, k objects.Key) (ch Changes, ok bool) {
	obj := in.cache.get(k)
	var start time.Time
	if m.cfg.Observer != nil {
		start = time.Now()
	}
	defer func() {
		if r := recover(); r != nil {
			m.stepPanicked(c, k, obj, r, debug.Stack())
			ch, ok = Changes{}, false
		}
		if o := m.cfg.Observer; o != nil {
			d := time.Since(start)
			o.StepDone(c.Kind, d, !ok)
			if ch.Scheduling != nil {
				ch.Scheduling.Duration = d
				o.Scheduled(*ch.Scheduling)
			}
		}
	}()
	return c.Step(in, k, obj), true
}

func (m *Manager) stepPanicked(c *Controller, k objects.Key, obj objects.Object, r any, stack []byte) {
	value := panicValue(r)
	now := m.cfg.Now()
	m.q.backoff(k, now)
	m.log.Error("controller step panicked; retrying with backoff", "controller", c.Component, "key", k.String(),
		"panic", value, "stack", string(stack))
	if obj == nil {
		return
	}
	var ch Changes
	ch.Event(obj, c.Component, events.Warning, ReasonReconcilerPanic,
		fmt.Sprintf("%s panicked reconciling %s: %s; retrying with backoff", c.Component, k.String(), value), now)
	if err := m.st.Update(func(tx *store.Tx) error { return writeChanges(tx, ch, c.Component, now) }); err != nil {
		m.log.Error("recording the panic event failed", "key", k.String(), "err", err)
	}
}

// panicValue is a panic's value on one line, cut to maxPanicMessage
// characters (a value that prints a whole object is not dumped).
func panicValue(r any) string {
	var s string
	if err, ok := r.(error); ok {
		s = err.Error()
	} else {
		s = fmt.Sprint(r)
	}
	s = strings.Join(strings.Fields(s), " ")
	if len([]rune(s)) > maxPanicMessage {
		s = string([]rune(s)[:maxPanicMessage]) + "…"
	}
	return s
}

// writeSteps writes the changes of many steps (one pass over many dirty
// keys of one kind) in as few transactions as possible: when 1,000
// Deployments change in one commit, that is a handful of transactions
// instead of 1,000. If a batch fails (a conflict on one of its objects),
// its steps are written one by one so only the conflicting step is
// retried. After each transaction the runner waits until its informer has
// seen the write (catchUp).
func (m *Manager) writeSteps(ctx context.Context, steps []keyedChanges) error {
	now := m.cfg.Now()
	var batch []keyedChanges
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := m.st.Update(func(tx *store.Tx) error {
			for _, s := range batch {
				if err := writeChanges(tx, s.ch, s.ctl.Component, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err == nil {
			for _, s := range batch {
				m.q.succeeded(s.key)
				m.logChanges(s.key, s.ch)
			}
		} else {
			for _, s := range batch {
				m.write(s, now)
			}
		}
		batch, size = batch[:0], 0
		return m.inf.catchUp(ctx, m.st.ResourceVersion())
	}
	for _, s := range steps {
		m.requeueAsAsked(s.key, s.ch, now)
		if s.ch.PruneEvents {
			// Pruning may delete far more than one transaction holds
			// (150,000 pods record 300,000 events in minutes): it gets
			// transactions of its own.
			s.ch.PruneEvents = false
			if err := m.pruneEvents(now); err != nil {
				m.q.retry(s.key, now)
				m.log.Error("pruning events failed; will retry", "err", err)
				if s.ch.Empty() {
					continue // not succeeded: the retry keeps its backoff
				}
			}
		}
		if s.ch.Assumed && m.binder != nil {
			if err := m.binder.submit(ctx, s.ctl.Component, splitAssumed(&s.ch)); err != nil {
				return err
			}
		}
		if s.ch.Empty() {
			m.q.succeeded(s.key)
			continue
		}
		for _, part := range splitBindings(s.ch, maxBindingsPerTx) {
			n := part.size()
			if size+n > maxObjectsPerTx {
				if err := flush(); err != nil {
					return err
				}
			}
			batch = append(batch, keyedChanges{s.key, s.ctl, part})
			size += n
		}
	}
	return flush()
}

// maxPrunedPerTx bounds the events one pruning transaction deletes (each
// is two writes: the event and its deduplication record).
const maxPrunedPerTx = 500

// pruneEvents removes the events events.Doomed picks, maxPrunedPerTx per
// transaction, each only if it was not recorded again meanwhile.
func (m *Manager) pruneEvents(now time.Time) error {
	all, _, err := m.st.ListShared("Event", "")
	if err != nil {
		return err
	}
	doomed := events.Doomed(all, now)
	removed := 0
	for len(doomed) > 0 {
		part := doomed[:min(len(doomed), maxPrunedPerTx)]
		doomed = doomed[len(part):]
		if err := m.st.Update(func(tx *store.Tx) error {
			n, err := events.DeleteIfUnchanged(tx, part)
			removed += n
			return err
		}); err != nil {
			return err
		}
	}
	if removed > 0 {
		m.log.Debug("pruned events", "removed", removed)
	}
	return nil
}

// splitBindings cuts a step with more than n bindings into parts of at
// most n bindings (the rest of its changes go with the first): each
// binding is checked on its own when written, so they need not share a
// transaction.
func splitBindings(ch Changes, n int) []Changes {
	if len(ch.Bindings) <= n {
		return []Changes{ch}
	}
	all := ch.Bindings
	ch.Bindings = all[:n]
	parts := []Changes{ch}
	for all = all[n:]; len(all) > 0; all = all[min(n, len(all)):] {
		parts = append(parts, Changes{Bindings: all[:min(n, len(all))]})
	}
	return parts
}

// requeueAsAsked records the step's own requests to run again.
func (m *Manager) requeueAsAsked(k objects.Key, ch Changes, now time.Time) {
	if ch.RequeueAfter > 0 {
		m.q.addAfter(k, now, ch.RequeueAfter)
	}
	if ch.Requeue {
		m.q.add(k)
	}
}

// write writes one step alone. Store conflicts and races requeue the key;
// they are expected when someone else writes the same object.
func (m *Manager) write(s keyedChanges, now time.Time) {
	err := m.st.Update(func(tx *store.Tx) error { return writeChanges(tx, s.ch, s.ctl.Component, now) })
	if err != nil && len(s.ch.Bindings) > 1 {
		err = m.writeBindingsAlone(s, now)
	}
	switch {
	case err == nil:
		m.q.succeeded(s.key)
		m.logChanges(s.key, s.ch)
	case isRace(err):
		m.q.retry(s.key, now)
		m.log.Debug("requeued after a concurrent change", "key", s.key.String(), "err", err)
	default:
		m.q.retry(s.key, now)
		m.log.Error("writing reconcile result failed; will retry", "key", s.key.String(), "err", err)
	}
}

// writeBindingsAlone writes a failed step's bindings one transaction each
// after the rest of its changes: a binding is checked on its own when
// written (writeBinding), so one pod that conflicts (changed by its agent
// or deleted between the re-read and the commit, on a store that can
// conflict) costs only its own binding, which the next scheduling pass
// retries, not the hundreds batched with it. It returns the first error.
func (m *Manager) writeBindingsAlone(s keyedChanges, now time.Time) error {
	rest := s.ch
	rest.Bindings = nil
	var first error
	if !rest.Empty() {
		first = m.st.Update(func(tx *store.Tx) error { return writeChanges(tx, rest, s.ctl.Component, now) })
		if first == nil {
			m.logChanges(s.key, rest)
		}
	}
	mnow := metav1.NewTime(now)
	for _, b := range s.ch.Bindings {
		err := m.st.Update(func(tx *store.Tx) error { return writeBinding(tx, b, s.ctl.Component, mnow) })
		if err == nil {
			m.logChanges(s.key, Changes{Bindings: []Binding{b}})
			continue
		}
		m.log.Debug("binding failed; the next scheduling pass retries the pod", "pod", objects.KeyOf(b.Pod).String(), "err", err)
		if first == nil {
			first = err
		}
	}
	return first
}

func isRace(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound)
}

// writeChanges writes one step's changes into tx; component names the
// step in the events it implies (bindings).
func writeChanges(tx *store.Tx, ch Changes, component string, now time.Time) error {
	for _, o := range ch.Create {
		if err := tx.Create(o); err != nil {
			return err
		}
	}
	for _, o := range ch.Update {
		if err := tx.Update(o); err != nil {
			return err
		}
	}
	for _, o := range ch.UpdateStatus {
		if err := tx.UpdateStatus(o); err != nil {
			return err
		}
	}
	for _, o := range ch.Delete {
		if _, err := deleteIfSame(tx, o, now, true); err != nil {
			return err
		}
	}
	var skipped map[types.UID]bool // force deletes of objects gone or replaced meanwhile
	for _, o := range ch.ForceDelete {
		deleted, err := deleteIfSame(tx, o, now, false)
		if err != nil {
			return err
		}
		if !deleted {
			if skipped == nil {
				skipped = map[types.UID]bool{}
			}
			skipped[o.GetUID()] = true
		}
	}
	mnow := metav1.NewTime(now)
	for _, b := range ch.Bindings {
		if err := writeBinding(tx, b, component, mnow); err != nil {
			return err
		}
	}
	if ch.PruneEvents {
		if _, err := events.Prune(tx, now); err != nil {
			return err
		}
	}
	evs := ch.Events
	if skipped != nil {
		// An eviction's event says the pod was deleted: not if it was not.
		evs = slices.DeleteFunc(slices.Clone(evs), func(e Event) bool { return skipped[e.Object.GetUID()] })
	}
	return recordEvents(tx, evs)
}

// deleteIfSame deletes o unless it is already gone or was replaced by a
// new object of the same name (another uid); it reports whether it
// deleted. With graceful, pods are deleted gracefully: a bound pod is
// marked terminating and its agent removes it.
func deleteIfSame(tx *store.Tx, o objects.Object, now time.Time, graceful bool) (bool, error) {
	k := objects.KeyOf(o)
	cur, err := tx.Get(k)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil || cur.GetUID() != o.GetUID() {
		return false, err
	}
	if !graceful {
		return true, tx.Delete(k)
	}
	return true, tx.DeleteGracefully(k, now)
}

func (m *Manager) logChanges(k objects.Key, ch Changes) {
	for _, o := range ch.Create {
		m.log.Info("created", "by", k.String(), "object", objects.KeyOf(o).String())
	}
	for _, o := range ch.Delete {
		m.log.Info("deleted", "by", k.String(), "object", objects.KeyOf(o).String())
	}
	for _, o := range ch.ForceDelete {
		m.log.Warn("force-deleted", "by", k.String(), "object", objects.KeyOf(o).String())
	}
	for _, o := range ch.Update {
		m.log.Debug("updated", "by", k.String(), "object", objects.KeyOf(o).String())
	}
	for _, b := range ch.Bindings {
		if b.Node != "" {
			m.log.Info("bound", "pod", objects.KeyOf(b.Pod).String(), "node", b.Node)
		} else {
			m.log.Info("unschedulable", "pod", objects.KeyOf(b.Pod).String(), "reason", b.Message)
		}
	}
}
