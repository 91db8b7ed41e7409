package controllers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

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
	// MaxQueued bounds the work queue's object keys (default
	// DefaultMaxQueued); past it new keys are dropped, logged once per
	// overflow, and come back with the next resync.
	MaxQueued int
	// NodeLifecycle are the node controller's timings: heartbeat grace
	// period, default toleration of not-ready and unreachable nodes,
	// eviction rate (zero fields: Kubernetes' defaults).
	NodeLifecycle NodeLifecycle
	// LoadBalancer configures the built-in load balancer of
	// LoadBalancer Services (the controller's --lb-address-pool).
	LoadBalancer LoadBalancerOptions
	// Controllers is the table the runner runs (default Registry()).
	Controllers []Controller
	// Usage is the pods' latest usage as their agents reported it
	// (reconcile/podmetrics), read by the HorizontalPodAutoscaler step;
	// nil = no usage (autoscalers report the metrics missing).
	Usage UsageSource
	// Leases is the nodes' lease renewals (nodelease.Reader over the
	// store), read by the Node step with the Nodes' status; nil = the
	// Nodes' status only (agents that post their status every heartbeat).
	Leases LeaseSource
	// HPASyncPeriod is how often each autoscaler runs (default
	// DefaultHPASyncPeriod, 15 s).
	HPASyncPeriod time.Duration
	// Observer, when set, receives queue depths, step durations and
	// scheduling outcomes (reconcile/metrics); nil costs nothing.
	Observer Observer
	// SyncBinding writes the scheduler's bindings on the runner's
	// goroutine, waiting for the watch to return them before the next
	// pass, instead of kube-scheduler's asynchronous binding cycle
	// (binder.go), the default.
	SyncBinding bool
}

// Manager is the runner of the registry: one informer (list + watch into
// a cache), one level-based work queue, every registered step in one
// goroutine, and the only writer of their Changes.
type Manager struct {
	cfg        Options
	src        source
	st         *store.Store
	log        *slog.Logger
	ctls       []Controller
	stepKinds  map[string]bool
	quiet      map[string]bool
	ownerKinds map[string]bool
	// handlers are what an event on a kind marks, built from the table.
	handlers map[string][]func(old, cur objects.Object)
	inf      *informer
	q        *queue
	// autoscalers is the HorizontalPodAutoscaler step's memory (hpa.go).
	autoscalers *autoscalers
	// depthShown: kinds whose last reported queue depth was not 0.
	depthShown map[string]bool
	// binder writes the scheduler's assumed bindings (binder.go), one
	// per session; nil with Options.SyncBinding.
	binder *binder
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
	cfg.NodeLifecycle = cfg.NodeLifecycle.WithDefaults()
	if cfg.Controllers == nil {
		cfg.Controllers = Registry()
	}
	m := &Manager{cfg: cfg, src: st, st: st, log: cfg.Log.With("component", "controllers"), ctls: cfg.Controllers,
		stepKinds: map[string]bool{}, quiet: map[string]bool{}, ownerKinds: ownerKinds(cfg.Controllers),
		autoscalers: newAutoscalers(cfg.HPASyncPeriod), depthShown: map[string]bool{}}
	m.handlers = m.buildHandlers()
	return m
}

// Run lists, watches and reconciles until ctx is done. It returns nil on
// cancellation and an error only if the store cannot be read at all.
func (m *Manager) Run(ctx context.Context) error {
	if err := EnsureSystemPriorityClasses(m.st); err != nil {
		m.log.Error("controllers: creating the built-in PriorityClasses failed; pods still resolve them", "err", err)
	}
	failures, backoff := 0, storeBackoff
	for {
		err := m.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, errRelist) || errors.Is(err, store.ErrGone) {
			m.log.Info("re-listing the store", "reason", err)
			failures, backoff = 0, storeBackoff
			continue
		}
		failures++
		if failures > maxStoreFailures {
			return fmt.Errorf("controllers: reading the store failed %d times in a row: %w", failures, err)
		}
		m.log.Error("controllers: store read failed; retrying", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff.Step()):
		}
	}
}

// A store that cannot be listed or watched is retried after 1, 2, 4, 8
// and 16 s; then Run gives up and returns the error.
var storeBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Steps: maxStoreFailures, Cap: 16 * time.Second}

const maxStoreFailures = 5

// session is one list-then-watch session of the informer.
func (m *Manager) session(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.q = newQueue(m.cfg.MaxQueued, func(limit int, first objects.Key) {
		m.log.Error("controllers: work queue full; dropping new keys until it drains (the periodic resync queues them again)",
			"limit", limit, "firstDropped", first.String())
	})
	m.inf = &informer{src: m.src, kinds: watchedKinds(m.ctls), observe: m.observe}
	if _, err := m.inf.sync(ctx); err != nil {
		return err
	}
	m.inf.cache.sched = scheduler.NewSnapshot(m.inf.cache.nodes(), m.inf.cache.pods())
	if !m.cfg.SyncBinding {
		m.binder = newBinder(ctx, m.st, m.log, m.cfg.Now)
		defer func() { m.binder.stop(); m.binder = nil }()
	}
	var bindFailed chan struct{} // nil: never ready
	if m.binder != nil {
		bindFailed = m.binder.notify
	}
	m.markAll()

	resync := time.NewTicker(m.cfg.Resync)
	defer resync.Stop()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if err := m.inf.drain(); err != nil {
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
		case ev, ok := <-m.inf.events:
			if err := m.inf.handle(ev, ok); err != nil {
				return err
			}
		case <-bindFailed:
			m.forgetFailed()
		case <-timer.C:
		case <-resync.C:
			m.markAll()
		}
		m.q.promote(m.cfg.Now())
	}
}

// buildHandlers turns the table's Owns, Adopts, Watches and
// OnOwnerDeleted into what an event on each kind marks.
func (m *Manager) buildHandlers() map[string][]func(old, cur objects.Object) {
	hs := map[string][]func(old, cur objects.Object){}
	on := func(kind string, h func(old, cur objects.Object)) { hs[kind] = append(hs[kind], h) }
	for _, c := range m.ctls {
		if c.Step == nil {
			continue
		}
		m.stepKinds[c.Kind] = true
		if c.Quiet {
			m.quiet[c.Kind] = true
		}
		if !builtIn(objects.Key{Kind: c.Kind}) {
			on(c.Kind, func(old, cur objects.Object) { m.q.add(objects.KeyOf(either(cur, old))) })
		}
		for _, owned := range c.Owns {
			on(owned, func(old, cur objects.Object) { m.markOwner(either(cur, old), c.Kind, c.Adopts) })
		}
		for kind, mapFn := range c.Watches {
			on(kind, func(old, cur objects.Object) {
				for _, k := range mapFn(m.inf.cache, old, cur) {
					m.q.add(k)
				}
			})
		}
		if c.OnOwnerDeleted {
			k := objects.Key{Kind: c.Kind}
			for owner := range m.ownerKinds {
				on(owner, func(_, cur objects.Object) {
					if cur == nil {
						m.q.add(k)
					}
				})
			}
		}
	}
	return hs
}

func either(a, b objects.Object) objects.Object {
	if a != nil {
		return a
	}
	return b
}

// observe marks the work an event implies (the informer calls it for
// every event that changed the cache).
func (m *Manager) observe(ev store.Event, old, cur objects.Object) {
	if snap := m.inf.cache.sched; snap != nil {
		updateSnapshot(snap, old, cur)
	}
	for _, h := range m.handlers[objects.KindOf(ev.Object)] {
		m.mark(h, ev, old, cur)
	}
}

// mark runs one handler; a panic in a table's MapFunc is logged with the
// event's key and stack and skipped (the periodic resync marks the work
// it would have marked), so it cannot stop the runner.
func (m *Manager) mark(h func(old, cur objects.Object), ev store.Event, old, cur objects.Object) {
	defer func() {
		if r := recover(); r != nil {
			m.log.Error("controllers: marking the work of a watch event panicked; the resync will cover it",
				"key", objects.KeyOf(ev.Object).String(), "panic", panicValue(r), "stack", string(debug.Stack()))
		}
	}()
	h(old, cur)
}

// markOwner queues o's controller if it is of kind, or, for an orphan
// when kind adopts, every object of kind in its namespace (one of them
// may adopt it).
func (m *Manager) markOwner(o objects.Object, kind string, adopts bool) {
	if ref := metav1.GetControllerOfNoCopy(o); ref != nil {
		if ref.Kind == kind {
			m.q.add(objects.Key{Kind: kind, Namespace: o.GetNamespace(), Name: ref.Name})
		}
		return
	}
	if !adopts {
		return
	}
	for k := range m.inf.cache.byKind[kind] {
		if k.Namespace == o.GetNamespace() {
			m.q.add(k)
		}
	}
}

// markAll queues every step's work: the periodic resync, and the start
// of every informer session.
func (m *Manager) markAll() {
	for _, c := range m.ctls {
		switch {
		case c.Step == nil:
		case c.Resync != nil:
			for _, k := range c.Resync(m.inf.cache) {
				m.q.add(k)
			}
		case builtIn(objects.Key{Kind: c.Kind}):
			k := objects.Key{Kind: c.Kind}
			if _, later := m.q.later[k]; c.Every > 0 && later {
				continue
			}
			m.q.add(k)
		default:
			for k := range m.inf.cache.byKind[c.Kind] {
				m.q.add(k)
			}
		}
	}
}

// process runs the steps until no work is dirty, in the table's order;
// quiet steps (the scheduler) run once the others are idle.
func (m *Manager) process(ctx context.Context) error {
	defer m.observeDepth() // idle again: 0 for the kinds that had a backlog
	for m.q.len() > 0 {
		// The binder's writes come back while the scheduler goes on:
		// apply them (and its failures) between passes.
		if err := m.catchUpBinder(ctx); err != nil {
			return err
		}
		m.observeDepth()
		now := m.cfg.Now()
		for i := range m.ctls {
			if c := &m.ctls[i]; c.Step != nil && !c.Quiet {
				if err := m.run(ctx, c, m.q.take(c.Kind), now); err != nil {
					return err
				}
			}
		}
		if m.q.onlyDirty(m.quiet) {
			for i := range m.ctls {
				if c := &m.ctls[i]; c.Step != nil && c.Quiet {
					if err := m.run(ctx, c, m.q.take(c.Kind), now); err != nil {
						return err
					}
				}
			}
		}
		m.q.dropKinds(func(kind string) bool { return m.stepKinds[kind] })
	}
	return nil
}
