package proxy

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"
)

// Proxier keeps the kernel's rules equal to Render(Source). Use one per
// node; Sync and Run must not be called concurrently.
type Proxier struct {
	Source Source
	// Mode picks the rules: ModeIPTables (the default, "") writes with
	// IPTables, ModeNFTables with NFTables. The first sync also removes
	// the other mode's rules when its interface is set, so switching the
	// mode on a restart leaves nothing of the old one.
	Mode     Mode
	IPTables IPTables
	NFTables NFTWriter
	Options  Options
	Log      *slog.Logger
	// HookCheckInterval re-checks the hooks in the built-in chains (in
	// case someone flushed them, or inserted a rule above a First hook)
	// this often (default 30 s, kube-proxy's sync period; a sync runs at
	// least every 30 s, when the Source's Wait times out).
	HookCheckInterval time.Duration
	// HealthServer, when set, serves the healthCheckNodePorts of the
	// LoadBalancer Services with externalTrafficPolicy Local (with this
	// node's local endpoint counts) after each successful sync.
	HealthServer *HealthServer
	// OnSync, when set, is told of every sync Run makes, failed ones with
	// their error (agent/agentmetrics: duration and rule count).
	OnSync func(SyncStats, error)

	renderer    Renderer
	prev        *Ruleset // what the last successful restore made the kernel hold
	nftRenderer NFTRenderer
	nftPrev     *NFTRuleset // what the last successful nftables transaction made the kernel hold
	lastHooks   time.Time
	lastRV      uint64
	lastSynced  SyncStats
}

// SyncStats describes one sync, for logs and benchmarks.
type SyncStats struct {
	Full        bool
	Services    int
	Chains      int
	Rules       int // rules in the owned chains (the hooks not counted)
	RestoreSize int // bytes given to iptables-restore; in nftables mode, operations in the transaction (0: nothing to change)
	List        time.Duration
	Render      time.Duration
	Restore     time.Duration
}

// Total is the time of the whole sync: list, render and restore.
func (s SyncStats) Total() time.Duration { return s.List + s.Render + s.Restore }

// LastSync describes the last sync (for benchmarks and debugging).
func (p *Proxier) LastSync() SyncStats { return p.lastSynced }

// Sync lists services and endpoints and brings the kernel to their
// rules with one iptables-restore. The first sync (and the one after a
// failed restore) is full: it also deletes owned chains left by an earlier
// run and checks the hooks; later syncs write only the difference.
func (p *Proxier) Sync(ctx context.Context) (SyncStats, error) {
	t0 := time.Now()
	svcs, eps, rv, err := p.Source.List(ctx)
	if err != nil {
		return SyncStats{}, fmt.Errorf("list services and endpoints: %w", err)
	}
	p.lastRV = rv
	t1 := time.Now()
	var st SyncStats
	if p.Mode == ModeNFTables {
		p.nftRenderer.Options = p.Options
		rs := p.nftRenderer.Render(svcs, eps)
		st = SyncStats{Full: p.nftPrev == nil, Services: len(svcs), Chains: rs.chainCount(), Rules: rs.ruleCount(), List: t1.Sub(t0), Render: time.Since(t1)}
		err = p.applyNFT(ctx, rs, &st)
	} else {
		p.renderer.Options = p.Options
		rs := p.renderer.Render(svcs, eps)
		st = SyncStats{Full: p.prev == nil, Services: len(svcs), Chains: len(rs.Chains), Rules: rs.ruleCount(), List: t1.Sub(t0), Render: time.Since(t1)}
		err = p.apply(ctx, rs, &st)
	}
	p.lastSynced = st
	if err == nil && p.HealthServer != nil {
		if herr := p.HealthServer.Sync(HealthChecks(svcs, eps, p.Options.NodeName)); herr != nil && p.Log != nil {
			p.Log.Warn("service health checks", "err", herr) // the rules are written; retried next sync
		}
	}
	return st, err
}

// apply writes rs over what the kernel holds.
func (p *Proxier) apply(ctx context.Context, rs Ruleset, st *SyncStats) error {
	var stale []TableChain
	var missing []Hook
	var err error
	if p.prev == nil {
		if p.NFTables != nil {
			if err := CleanupNFT(ctx, p.NFTables); err != nil {
				return fmt.Errorf("removing the nftables mode's table ip %s: %w", NFTTable, err)
			}
		}
		if stale, err = p.IPTables.OwnedChains(ctx); err != nil {
			return err
		}
	}
	if p.prev == nil || time.Since(p.lastHooks) > p.hookInterval() {
		var misplaced []Hook
		for _, h := range Hooks {
			ok, err := p.IPTables.HasHook(ctx, h)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			missing = append(missing, h)
			if !h.First {
				continue
			}
			if lower, err := p.IPTables.HasHook(ctx, h.anywhere()); err != nil {
				return err
			} else if lower {
				misplaced = append(misplaced, h.anywhere())
			}
		}
		// A First hook found lower down is deleted, then inserted at
		// the top by the restore below (-D deletes the first match, so
		// it must go before the new copy exists).
		if len(misplaced) > 0 {
			if err := p.IPTables.Restore(ctx, CleanupText(nil, misplaced)); err != nil {
				p.prev = nil
				return err
			}
		}
		p.lastHooks = time.Now()
	}
	text := RestoreText(rs, p.prev, stale, missing)
	st.RestoreSize = len(text)
	t := time.Now()
	if err := p.IPTables.Restore(ctx, text); err != nil {
		p.prev = nil // the kernel may hold anything we did not expect: next sync is full
		return err
	}
	st.Restore = time.Since(t)
	p.prev = &rs
	return nil
}

// applyNFT writes rs into table ip reconcile with one transaction: whole
// on the first sync (after removing the iptables mode's rules, when
// IPTables is set), only the difference after.
func (p *Proxier) applyNFT(ctx context.Context, rs NFTRuleset, st *SyncStats) error {
	if p.nftPrev == nil && p.IPTables != nil {
		if err := Cleanup(ctx, p.IPTables); err != nil {
			return fmt.Errorf("removing the iptables mode's RECONCILE-* chains: %w", err)
		}
	}
	t := time.Now()
	n, err := p.NFTables.Write(ctx, rs, p.nftPrev)
	st.RestoreSize = n
	if err != nil {
		p.nftPrev = nil // next sync is full
		return fmt.Errorf("nftables transaction on table ip %s: %w", NFTTable, err)
	}
	if n > 0 {
		st.Restore = time.Since(t)
	}
	p.nftPrev = &rs
	return nil
}

func (p *Proxier) hookInterval() time.Duration {
	if p.HookCheckInterval > 0 {
		return p.HookCheckInterval
	}
	return 30 * time.Second
}

// retryBackoff spaces Run's retries after a failed sync or wait: 1 s,
// doubling up to 30 s, with jitter; a successful sync starts it over.
var retryBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: 30 * time.Second}

// Run syncs, then waits for the next change of services or endpoints and
// syncs again, until ctx ends. Failures are logged and retried, with a
// full sync, after retryBackoff; Run returns nil when ctx ends.
func (p *Proxier) Run(ctx context.Context) error {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	log = log.With("component", "proxy")
	backoff := retryBackoff
	for ctx.Err() == nil {
		st, err := p.Sync(ctx)
		if p.OnSync != nil && ctx.Err() == nil {
			p.OnSync(st, err)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			d := backoff.Step()
			log.Error("service rules not written; retrying", "in", d, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(d):
			}
			continue
		}
		backoff = retryBackoff
		if st.RestoreSize > 0 {
			log.Debug("service rules written", "full", st.Full, "services", st.Services, "bytes", st.RestoreSize,
				"list", st.List, "render", st.Render, "restore", st.Restore)
		}
		if err := p.Source.Wait(ctx, p.lastRV); err != nil && ctx.Err() == nil {
			d := backoff.Step()
			log.Warn("waiting for service changes failed; listing again", "in", d, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}
	}
	return nil
}

// Start runs p (Run) until ctx ends or stop is called. stop waits for
// Run to return and then, only with removeRules, removes the rules
// (Cleanup, bounded by 30 s). By default the rules stay, as kube-proxy
// leaves its own across restarts: the pods keep running while the agent
// is down, so their ClusterIPs must keep answering, and the next start's
// first sync is full and takes the rules over.
func (p *Proxier) Start(ctx context.Context, removeRules bool) (stop func() error) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx)
	}()
	return func() error {
		cancel()
		<-done
		if p.HealthServer != nil {
			p.HealthServer.Close()
		}
		if !removeRules {
			return nil
		}
		cctx, ccancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer ccancel()
		if err := p.cleanup(cctx); err != nil {
			return fmt.Errorf("removing the service rules: %w; run `reconcile agent --cleanup`", err)
		}
		return nil
	}
}

// cleanup removes the rules of the proxy's mode.
func (p *Proxier) cleanup(ctx context.Context) error {
	if p.Mode == ModeNFTables {
		return CleanupNFT(ctx, p.NFTables)
	}
	return Cleanup(ctx, p.IPTables)
}

// Cleanup removes the proxy's hooks and chains (`reconcile agent
// --cleanup`). Rules of others are left alone. A hook found twice (written
// again by hand, or by an agent of an older version) needs one deletion
// per copy, or the chain it jumps to cannot go: the hooks are deleted
// until none is left, then the chains in one restore.
func Cleanup(ctx context.Context, ipt IPTables) error {
	chains, err := ipt.OwnedChains(ctx)
	if err != nil {
		return err
	}
	for range maxHookCopies {
		var present []Hook
		for _, h := range Hooks {
			h = h.anywhere()
			ok, err := ipt.HasHook(ctx, h)
			if err != nil {
				return err
			}
			if ok {
				present = append(present, h)
			}
		}
		if len(present) == 0 {
			return ipt.Restore(ctx, CleanupText(chains, nil))
		}
		if err := ipt.Restore(ctx, CleanupText(nil, present)); err != nil {
			return err
		}
	}
	return fmt.Errorf("the jumps into the RECONCILE-* chains are still there after %d deletions; is another process adding them?", maxHookCopies)
}

// maxHookCopies bounds the deletions of one hook in Cleanup.
const maxHookCopies = 16
