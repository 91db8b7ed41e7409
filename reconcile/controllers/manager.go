package controllers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/scheduler"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Options are the optional settings of a Manager; the zero value gives
// the defaults.
type Options struct {
	// Now is the clock of every time-based rule (default time.Now).
	Now func() time.Time
	// Log receives one line per write and per error (default slog.Default()).
	Log *slog.Logger
	// Resync re-runs every step this often, so rules that depend only on
	// time (node heartbeat timeout) fire without an event (default 10 s).
	Resync time.Duration
	// Suffix names new pods (default RandomSuffix).
	Suffix Suffixes
	// Scheduler places pending pods (default scheduler.New()).
	Scheduler *scheduler.Scheduler
	// BatchNow, when set, is the clock of the Job and CronJob steps only
	// (default Now). Tests speed it up to see a CronJob fire every minute
	// within seconds while node heartbeats keep real time.
	BatchNow func() time.Time
}

// Manager runs the node lifecycle, garbage collection, Deployment and
// ReplicaSet steps and the scheduler over the store, in one goroutine.
type Manager struct {
	cfg    Options
	st     *store.Store
	log    *slog.Logger
	cache  *cache
	q      *queue
	events <-chan store.Event
}

// NewManager returns a manager over st; call Run.
func NewManager(st *store.Store, cfg Options) *Manager {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Resync <= 0 {
		cfg.Resync = 10 * time.Second
	}
	if cfg.Suffix == nil {
		cfg.Suffix = RandomSuffix
	}
	if cfg.Scheduler == nil {
		cfg.Scheduler = scheduler.New()
	}
	return &Manager{cfg: cfg, st: st, log: cfg.Log.With("component", "controllers")}
}

// errRelist means the watch ended (fell behind or history too old): list
// again.
var errRelist = errors.New("watch ended; listing again")

// Run lists, watches and reconciles until ctx is done. It returns nil on
// cancellation and an error only if the store cannot be read at all.
func (m *Manager) Run(ctx context.Context) error {
	// Endpoints follow Services and Pods beside the other steps, with
	// their own watch (endpoints_runner.go).
	go NewEndpointsRunner(m.st, m.log).Run(ctx)
	failures := 0
	for {
		err := m.runWatch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errRelist) || errors.Is(err, store.ErrGone) {
			m.log.Info("re-listing the store", "reason", err)
			failures = 0
			continue
		}
		failures++
		if failures > 5 {
			return fmt.Errorf("controllers: reading the store failed %d times in a row: %w", failures, err)
		}
		m.log.Error("controllers: store read failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Duration(failures) * time.Second):
		}
	}
}

// runWatch is one list-then-watch session.
func (m *Manager) runWatch(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.cache, m.q = newCache(), newQueue()
	fromRV := uint64(0)
	for i, kind := range watchedKinds() {
		objs, rv, err := m.st.List(kind, "")
		if err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		if i == 0 || rv < fromRV {
			fromRV = rv
		}
		for _, o := range objs {
			m.cache.put(o)
		}
	}
	m.cache.rv = fromRV
	events, err := m.st.Watch(ctx, fromRV)
	if err != nil {
		return err
	}
	m.events = events
	m.markAll()

	resync := time.NewTicker(m.cfg.Resync)
	defer resync.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := m.drain(); err != nil {
			return err
		}
		if err := m.process(ctx); err != nil {
			return err
		}
		wait := time.Hour
		if due, ok := m.q.next(); ok {
			wait = max(due.Sub(m.cfg.Now()), time.Millisecond)
		}
		timer.Reset(wait)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-m.events:
			if !ok {
				return errRelist
			}
			m.observe(ev)
		case <-timer.C:
		case <-resync.C:
			m.markAll()
			m.logEvictions()
		}
		m.q.promote(m.cfg.Now())
	}
}

// drain applies every event already waiting, so events that arrive
// together are handled by one pass of the steps.
func (m *Manager) drain() error {
	for {
		select {
		case ev, ok := <-m.events:
			if !ok {
				return errRelist
			}
			m.observe(ev)
		default:
			return nil
		}
	}
}

// catchUp waits until the cache has seen resourceVersion rv, so the next
// step reads this manager's own writes.
func (m *Manager) catchUp(ctx context.Context, rv uint64) error {
	for m.cache.rv < rv {
		select {
		case ev, ok := <-m.events:
			if !ok {
				return errRelist
			}
			m.observe(ev)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// observe applies an event and marks the work it affects.
func (m *Manager) observe(ev store.Event) {
	if !m.cache.apply(ev) {
		return
	}
	o := ev.Object
	k := objects.KeyOf(o)
	deleted := ev.Type == store.Deleted
	switch k.Kind {
	case "Deployment":
		m.q.add(k)
	case "ReplicaSet":
		m.q.add(k)
		m.markOwner(o, "Deployment")
	case "Pod":
		m.markOwner(o, "ReplicaSet")
		m.q.add(keySchedule)
	case "Node":
		m.q.add(k)
		m.q.add(keySchedule)
	}
	m.observeSets(k, o)
	m.observeBatch(k, o)
	if deleted && OwnerKinds[k.Kind] {
		m.q.add(keyGC)
	}
}

// markOwner queues o's controller of kind, or, for an orphan, every object
// of kind in its namespace (one of them may adopt it).
func (m *Manager) markOwner(o objects.Object, kind string) {
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		if ref.Kind == kind {
			m.q.add(objects.Key{Kind: kind, Namespace: o.GetNamespace(), Name: ref.Name})
		}
		return
	}
	for k := range m.cache.byKind[kind] {
		if k.Namespace == o.GetNamespace() {
			m.q.add(k)
		}
	}
}

func (m *Manager) markAll() {
	for _, kind := range []string{"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Node"} {
		for k := range m.cache.byKind[kind] {
			m.q.add(k)
		}
	}
	m.markAllBatch()
	m.q.add(keyGC)
	m.q.add(keySchedule)
}

// process runs the steps until no work is dirty. Order matters for
// latency: a Deployment's new ReplicaSet is seen by the ReplicaSet step of
// the same pass, its pods by the scheduler of the same pass.
func (m *Manager) process(ctx context.Context) error {
	for len(m.q.dirty) > 0 {
		now := m.cfg.Now()
		for _, k := range m.q.take("Node") {
			if n, ok := m.cache.get(k).(*corev1.Node); ok {
				if err := m.step(ctx, k, ReconcileNode(n, now)); err != nil {
					return err
				}
			}
		}
		if m.q.takeOne(keyGC) {
			if err := m.step(ctx, keyGC, Changes{Delete: Orphans(m.cache.all())}); err != nil {
				return err
			}
		}
		var steps []keyedChanges
		for _, k := range m.q.take("Deployment") {
			if d, ok := m.cache.get(k).(*appsv1.Deployment); ok {
				rses := candidates[*appsv1.ReplicaSet](m.cache, d, "ReplicaSet")
				steps = append(steps, keyedChanges{k, ReconcileDeployment(d, rses, now)})
			}
		}
		if err := m.steps(ctx, steps); err != nil {
			return err
		}
		steps = steps[:0]
		for _, k := range m.q.take("ReplicaSet") {
			if rs, ok := m.cache.get(k).(*appsv1.ReplicaSet); ok {
				pods := candidates[*corev1.Pod](m.cache, rs, "Pod")
				steps = append(steps, keyedChanges{k, ReconcileReplicaSet(rs, pods, m.cfg.Suffix, now)})
			}
		}
		if err := m.steps(ctx, steps); err != nil {
			return err
		}
		if err := m.setSteps(ctx, now); err != nil {
			return err
		}
		if err := m.batchSteps(ctx, now); err != nil {
			return err
		}
		if len(m.q.dirty) == 1 && m.q.takeOne(keySchedule) {
			// Schedule only once the workload steps are quiet, so pods
			// created together are placed together.
			if err := m.schedule(ctx, now); err != nil {
				return err
			}
		}
	}
	return nil
}

type keyedChanges struct {
	key objects.Key
	ch  Changes
}

// maxObjectsPerTx bounds how many objects one batched transaction writes.
const maxObjectsPerTx = 1000

// steps writes the changes of many steps (one pass over many dirty
// Deployments or ReplicaSets) in as few transactions as possible: when
// 1,000 Deployments change in one commit, that is a handful of
// transactions instead of 1,000. If a batch fails (a conflict on one of
// its objects), its steps are written one by one so only the conflicting
// step is retried.
func (m *Manager) steps(ctx context.Context, steps []keyedChanges) error {
	now := m.cfg.Now()
	var batch []keyedChanges
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := m.st.Update(func(tx *store.Tx) error {
			for _, s := range batch {
				if err := writeChanges(tx, s.ch, now); err != nil {
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
				if err := m.write(s.key, s.ch, now); err != nil {
					return err
				}
			}
		}
		batch, size = batch[:0], 0
		return m.catchUp(ctx, m.st.ResourceVersion())
	}
	for _, s := range steps {
		s.ch = withWorkloadEvents(s.key, s.ch, m.cache.get, now)
		m.requeueAsAsked(s.key, s.ch, now)
		if s.ch.Empty() {
			m.q.succeeded(s.key)
			continue
		}
		n := len(s.ch.Create) + len(s.ch.Update) + len(s.ch.UpdateStatus) + len(s.ch.Delete)
		if size+n > maxObjectsPerTx {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, s)
		size += n
	}
	return flush()
}

// step writes one step's changes in one transaction, then waits for the
// watch to deliver them.
func (m *Manager) step(ctx context.Context, k objects.Key, ch Changes) error {
	return m.steps(ctx, []keyedChanges{{k, ch}})
}

// schedule_ records the step's own requests to run again.
func (m *Manager) requeueAsAsked(k objects.Key, ch Changes, now time.Time) {
	if ch.RequeueAfter > 0 {
		m.q.addAfter(k, now, ch.RequeueAfter)
	}
	if ch.Requeue {
		m.q.add(k)
	}
}

// write writes one step alone. Store conflicts and races requeue the key;
// they are expected when someone else writes the same object. It returns
// an error only if the manager must stop.
func (m *Manager) write(k objects.Key, ch Changes, now time.Time) error {
	err := m.st.Update(func(tx *store.Tx) error { return writeChanges(tx, ch, now) })
	switch {
	case err == nil:
		m.q.succeeded(k)
		m.logChanges(k, ch)
	case isRace(err):
		m.q.retry(k, now)
		m.log.Debug("requeued after a concurrent change", "key", k.String(), "err", err)
	default:
		m.q.retry(k, now)
		m.log.Error("writing reconcile result failed; will retry", "key", k.String(), "err", err)
	}
	return nil
}

func isRace(err error) bool {
	return errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrExists) || errors.Is(err, store.ErrNotFound)
}

func writeChanges(tx *store.Tx, ch Changes, now time.Time) error {
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
		if err := deleteIfSame(tx, o, now); err != nil {
			return err
		}
	}
	return recordEvents(tx, ch.Events)
}

// deleteIfSame deletes o unless it is already gone or was replaced by a
// new object of the same name (another uid). Pods are deleted gracefully:
// a bound pod is marked terminating and its agent removes it.
func deleteIfSame(tx *store.Tx, o objects.Object, now time.Time) error {
	k := objects.KeyOf(o)
	cur, err := tx.Get(k)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if cur.GetUID() != o.GetUID() {
		return nil
	}
	return tx.DeleteGracefully(k, now)
}

func (m *Manager) logChanges(k objects.Key, ch Changes) {
	for _, o := range ch.Create {
		m.log.Info("created", "by", k.String(), "object", objects.KeyOf(o).String())
	}
	for _, o := range ch.Delete {
		m.log.Info("deleted", "by", k.String(), "object", objects.KeyOf(o).String())
	}
	for _, o := range ch.Update {
		m.log.Debug("updated", "by", k.String(), "object", objects.KeyOf(o).String())
	}
}

// logEvictions force-deletes the pods of nodes NotReady past the
// eviction timeout (graceful.go), so their controllers replace them.
func (m *Manager) logEvictions() {
	n, err := m.evictPods(m.cfg.Now())
	if err != nil {
		m.log.Error("evicting pods of nodes that are not ready failed; will retry", "err", err)
	} else if n > 0 {
		m.log.Warn("evicted pods of nodes not ready past the eviction timeout", "pods", n)
	}
}
