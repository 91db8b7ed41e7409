package sources

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema"
)

// Config is one source of desired state.
type Config struct {
	gitsync.Config
	// Prune deletes objects this source created that its newest commit no
	// longer has (default true).
	Prune bool
	// AllowEmpty lets a commit with zero objects prune everything; without
	// it such a commit (an emptied or mis-pointed path) prunes nothing.
	AllowEmpty bool
	// Namespace receives the namespaced objects that name none (see
	// targetNamespace); "" keeps Kubernetes' "default".
	Namespace string
	// WebhookSecretFile holds the secret of POST /hooks/<name>; "" = no webhook.
	WebhookSecretFile string
	// Drift is what to do when objects of this source are changed outside
	// git: heal (the default, also for "") or warn (drift.go).
	Drift reconcile.DriftMode
	// MinFetchInterval is the least time between the starts of two fetches
	// (0 = DefaultMinFetchInterval): a burst of webhooks, syncs or ref
	// changes costs at most one fetch per interval (fetchlimit.go).
	MinFetchInterval time.Duration
}

// Manager runs every source.
type Manager struct {
	// st serves the reads (statuses, history, watches: the API's, on
	// every server); the loops write through term's store (RunOn).
	st        *store.Store
	term      atomic.Pointer[term]
	validator *schema.Validator
	log       *slog.Logger
	runners   map[string]*runner
	// applier remembers what it compared last time, so a commit that
	// changes one file re-plans one object, not every object.
	applier *reconcile.Applier
	// identities decrypt "age:" Secret values (SetIdentities).
	identities []age.Identity
	// decrypted: the plaintext copies of the last commits' Secrets (decrypt.go).
	decryptMu sync.Mutex
	decrypted map[*corev1.Secret]*corev1.Secret
	// observer receives fetch and commit measurements (observer.go).
	observer Observer
}

// New prepares the sources; a local repo that cannot be opened fails here.
func New(st *store.Store, v *schema.Validator, log *slog.Logger, cfgs []Config) (*Manager, error) {
	m := &Manager{st: st, validator: v, log: log, runners: map[string]*runner{}, applier: reconcile.NewApplier(st)}
	for _, c := range cfgs {
		src, err := gitsync.New(c.Config)
		if err != nil {
			return nil, fmt.Errorf("source %q: %w", c.Name, err)
		}
		name := src.Config().Name
		if _, dup := m.runners[name]; dup {
			return nil, fmt.Errorf("two sources are named %q: give each a unique name", name)
		}
		if c.WebhookSecretFile != "" {
			if _, err := os.Stat(c.WebhookSecretFile); err != nil {
				return nil, fmt.Errorf("source %q: webhook secret: %w: create it with a random secret, e.g. `openssl rand -hex 32 > %s`", name, err, c.WebhookSecretFile)
			}
		}
		r := &runner{m: m, cfg: c, src: src, name: name, requests: make(chan struct{}, 1)}
		r.fetch = r.pinnedFetch(src.Fetch) // a rollback pins the source (pin.go)
		m.runners[name] = r
	}
	return m, nil
}

// term is what the loops write through during one Run or RunOn: the
// leader's store fenced by its term, and the applier on it.
type term struct {
	st      *store.Store
	applier *reconcile.Applier
}

// writer is the current term's (the Manager's own store before any Run).
func (m *Manager) writer() term {
	if t := m.term.Load(); t != nil {
		return *t
	}
	return term{st: m.st, applier: m.applier}
}

// Names lists the sources, sorted.
func (m *Manager) Names() []string {
	out := slices.Sorted(maps.Keys(m.runners))
	return out
}

// Run syncs every source until ctx ends, writing to the Manager's store.
func (m *Manager) Run(ctx context.Context) error { return m.RunOn(ctx, m.st) }

// RunOn is Run with every write of the loops (commits, fetch errors,
// refusals) going through w: on a control plane of several servers the
// leader's store fenced by its term (store.Fenced), so a leader that lost
// its lease applies nothing (store.ErrFenced) once another may lead.
// Reads (statuses, history for the API on every server) stay on the
// Manager's store. Each term starts over: every source's commit is
// checked again, since another leader may have applied commits meanwhile
// or this one's last apply was refused. One Run or RunOn at a time.
func (m *Manager) RunOn(ctx context.Context, w *store.Store) error {
	m.term.Store(&term{st: w, applier: m.applier.On(w)})
	defer m.term.Store(nil)
	for _, r := range m.runners {
		r.lastTried = ""
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.watchDrift(ctx) // drift.go
	}()
	for _, r := range m.runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.run(ctx)
		}()
	}
	wg.Wait()
	return nil
}

// Trigger asks a source ("" = all) to fetch now: a webhook or `reconcile
// sync`. Requests from outside are spaced by the source's minimum fetch
// interval (fetchlimit.go); ref changes the source's own watch sees are not.
func (m *Manager) Trigger(name string) error {
	if name == "" {
		for _, r := range m.runners {
			r.request()
		}
		return nil
	}
	r, ok := m.runners[name]
	if !ok {
		return fmt.Errorf("no source named %q (sources: %v)", name, m.Names())
	}
	r.request()
	return nil
}

// Statuses returns the Status of every source.
func (m *Manager) Statuses() ([]Status, error) {
	var out []Status
	for _, n := range m.Names() {
		st, err := m.runners[n].status()
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// runner is the loop of one source.
type runner struct {
	m    *Manager
	cfg  Config
	src  *gitsync.Source
	name string
	// lastTried is the commit most recently validated, so an unchanged ref
	// is not re-applied on every signal.
	lastTried string
	// moved holds this source's objects moved to its target namespace.
	moved movedObjects
	// fetch is src.Fetch (tests count and hold fetches).
	fetch func(context.Context) (*gitsync.Snapshot, error)
	rt    runtimeStatus
	pin   pinState
	limit fetchLimit
	// requests holds at most one pending fetch asked from outside (Trigger):
	// a burst of any size is one request.
	requests chan struct{}
}

// retryAfterError bounds how soon a failed fetch is tried again when no
// change signal arrives.
const retryAfterError = 5 * time.Second

// run is the source's loop: one fetch at a time, the next one asked for at
// most once whatever the number of signals. A fetch asked from outside
// (webhook, sync) or for a drift check waits for the minimum fetch interval;
// one for a ref change seen by the watch (fsnotify on a local repo, the poll
// timer), a rollback or a resume does not, so a local commit deploys at once.
func (r *runner) run(ctx context.Context) {
	changes := r.src.Watch(ctx)
	requested := false
	for {
		if requested && !r.limit.wait(ctx, r, changes) { // at most one requested fetch per interval
			return
		}
		// The fetch starting now serves every signal received so far: at
		// most one more waits behind it, whichever channel it comes on.
		drain(changes)
		drain(r.requests)
		err := r.syncOnce(ctx)
		var retry <-chan time.Time
		if err != nil {
			r.m.log.Error("sync failed", "source", r.name, "err", err)
			retry = time.After(retryAfterError)
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
			requested = false
		case <-r.requests:
			requested = true
		case <-retry:
			requested = false
		}
	}
}

// drain takes a pending signal, if any, without waiting.
func drain(ch <-chan struct{}) {
	select {
	case <-ch:
	default:
	}
}

// request asks the loop for a fetch (Trigger); one pending request holds
// any number of callers.
func (r *runner) request() {
	select {
	case r.requests <- struct{}{}:
	default:
	}
}

// syncOnce fetches the source and applies its commit if it is new.
func (r *runner) syncOnce(ctx context.Context) error {
	start := time.Now()
	n := r.limit.started(start)
	r.m.log.Debug("fetching", "source", r.name, "fetches", n)
	snap, err := r.fetch(ctx)
	if o := r.m.observer; o != nil {
		o.Fetched(r.name, time.Since(start), err)
	}
	var refused *gitsync.UnverifiedError
	if errors.As(err, &refused) {
		return r.refuse(refused)
	}
	if err != nil {
		reconcile.RecordFetchError(r.m.writer().st, r.info(), err)
		return err
	}
	if snap.Commit == r.lastTried {
		return nil
	}
	r.lastTried = snap.Commit
	ci := r.commitInfo(snap) // a rollback, a force-push or a drift check (pin.go)
	if ci.Drift == "" {
		r.rt.attempted(snap)
	}
	applyStart := time.Now()
	res := r.m.validator.Validate(snap.Files)
	want, errs := r.m.decryptSecrets(res)
	errs = append(errorStrings(res.Errors), errs...)
	out, err := r.m.writer().applier.Apply(r.info(), ci, r.moved.apply(want, r.cfg.Namespace), errs, reconcile.ApplyOptions{Prune: r.cfg.Prune, AllowEmpty: r.cfg.AllowEmpty})
	if o := r.m.observer; o != nil && ci.Drift == "" {
		o.CommitDone(r.name, commitResult(err, errs, out.Status.Errors), time.Since(applyStart), max(len(errs), len(out.Status.Errors)))
	}
	if errors.Is(err, store.ErrFenced) {
		r.lastTried = "" // not applied: the next term tries it again
	}
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		r.m.log.Warn("commit rejected: nothing applied, the last good commit keeps running", "source", r.name, "commit", short(snap.Commit), "errors", len(errs), "first", errs[0])
		return nil
	}
	if ci.Drift != "" {
		r.logDrift(out) // drift.go
		return nil
	}
	r.rt.applied(snap)
	r.m.log.Info("commit applied", "source", r.name, "commit", short(snap.Commit), "created", out.Created, "updated", out.Updated, "deleted", out.Deleted, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func (r *runner) info() reconcile.SourceInfo {
	c := r.src.Config()
	return reconcile.SourceInfo{Name: r.name, URL: c.URL, Ref: c.Ref, Path: c.Path}
}

func commitInfo(s *gitsync.Snapshot) reconcile.CommitInfo {
	return reconcile.CommitInfo{Hash: s.Commit, Author: s.Author, Message: s.Message, Time: s.Time}
}

func errorStrings(errs []schema.Error) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
