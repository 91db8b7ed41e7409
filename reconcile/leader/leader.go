package leader

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Defaults.
const (
	DefaultTTL = 10 * time.Second
	// SafetyMargin: the lead context ends this long before the lease would
	// expire after the last keep-alive answered, so a leader cut off from
	// etcd stops before another can be elected.
	SafetyMargin = 2 * time.Second
	// DefaultPrefix is the store's key prefix (store.EtcdOptions.Prefix).
	DefaultPrefix  = "/reconcile/"
	electionSuffix = "election/controller"
)

// Fence is what a leader's writes are conditioned on: its election key
// and that key's create revision (concurrency.Election's Key() and Rev()).
type Fence struct {
	Key string
	Rev int64
}

// ErrLost is the cause of a lead context cancelled by a lost leadership.
var ErrLost = errors.New("leadership lost")

// Options configure an Elector.
type Options struct {
	Client *clientv3.Client
	Prefix string        // DefaultPrefix when empty; the election key is Prefix + "election/controller"
	Name   string        // this candidate's value: the server's name, what status shows
	TTL    time.Duration // DefaultTTL when 0 (whole seconds)
	Log    *slog.Logger
	// Retry is the pause after a failed campaign or a lead that failed
	// (1 s when 0).
	Retry time.Duration
	// Gone, when set, says whether the server named name (a leader's
	// election value) has its etcd member gone from the cluster: dead,
	// cut off or removed. It is set only when every candidate talks to
	// etcd through its own member alone (embedded members,
	// controlplane.Start), so a gone member means a leader that can no
	// longer write; a candidate then revokes that leader's lease after
	// GoneAfter instead of waiting up to the TTL (takeover.go). Nil (an
	// external etcd): the lease expires by itself.
	Gone func(ctx context.Context, name string) bool
	// GoneAfter: DefaultGoneAfter when 0.
	GoneAfter time.Duration
}

// Elector campaigns for leadership and runs the lead function while it
// holds it.
type Elector struct {
	o      Options
	leader atomic.Bool
}

// New makes an Elector.
func New(o Options) *Elector {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.GoneAfter <= 0 {
		o.GoneAfter = DefaultGoneAfter
	}
	return &Elector{o: o}
}

// ElectionKey is the prefix under which candidates queue.
func ElectionKey(prefix string) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return prefix + electionSuffix
}

// IsLeader says whether this candidate leads now.
func (e *Elector) IsLeader() bool { return e.leader.Load() }

// Run campaigns until ctx ends; each time it wins it runs lead with a
// context that ends the moment leadership is lost, waits for lead to
// return, resigns and campaigns again. It returns nil when ctx ends.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context, f Fence) error) error {
	for ctx.Err() == nil {
		err := e.term(ctx, lead)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			e.o.Log.Warn("leader election: campaigning again", "name", e.o.Name, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(e.o.Retry):
			}
		}
	}
	return nil
}

// term is one session: campaign, lead, resign.
func (e *Elector) term(ctx context.Context, lead func(ctx context.Context, f Fence) error) error {
	ttl := int(e.o.TTL / time.Second)
	granted := time.Now() // before the grant: the lease ends no earlier than this + TTL
	grant, err := e.o.Client.Grant(ctx, int64(ttl))
	if err != nil {
		return fmt.Errorf("leader election: lease: %w", err)
	}
	// The session outlives ctx so that Close can revoke the lease when ctx
	// ends: the next candidate leads at once instead of after the TTL.
	// WithTTL bounds Close's revoke (60 s otherwise) when etcd is gone.
	s, err := concurrency.NewSession(e.o.Client, concurrency.WithLease(grant.ID), concurrency.WithTTL(ttl), concurrency.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return fmt.Errorf("leader election: session: %w", err)
	}
	defer s.Close()
	// lctx ends when the lease may be gone: it bounds the campaign too, so
	// a leader never starts on a lease that lapsed while it waited.
	lctx, lcancel := context.WithCancelCause(ctx)
	defer lcancel(nil)
	renewals, err := e.o.Client.KeepAlive(lctx, grant.ID) // the same stream as the session's: every answer
	if err != nil {
		return fmt.Errorf("leader election: keep-alive: %w", err)
	}
	go watch(lctx, lcancel, s.Done(), renewals, e.o.TTL, granted)
	el := concurrency.NewElection(s, ElectionKey(e.o.Prefix))
	if e.o.Gone != nil {
		cctx, ccancel := context.WithCancel(lctx)
		go e.takeOver(cctx, grant.ID)
		err = el.Campaign(lctx, e.o.Name)
		ccancel()
	} else {
		err = el.Campaign(lctx, e.o.Name)
	}
	if err != nil {
		return fmt.Errorf("leader election: campaign: %w", errors.Join(err, context.Cause(lctx)))
	}
	f := Fence{Key: el.Key(), Rev: el.Rev()}
	e.o.Log.Info("leader elected: this server leads", "name", e.o.Name, "key", f.Key, "rev", f.Rev)
	e.leader.Store(true)
	err = lead(lctx, f)
	e.leader.Store(false)
	lcancel(nil)
	if cause := context.Cause(lctx); errors.Is(cause, ErrLost) {
		e.o.Log.Warn("leadership lost: leader-only work stopped", "name", e.o.Name, "cause", cause)
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer rcancel()
	_ = el.Resign(rctx) // Close revokes the lease anyway
	if err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("leader-only work ended: %w", err)
	}
	return nil
}

// watch cancels the lead context when the session ends or when no
// keep-alive answered in time (Deadline), counting from granted, a time
// before the lease was granted.
func watch(ctx context.Context, cancel context.CancelCauseFunc, sessionDone <-chan struct{}, renewals <-chan *clientv3.LeaseKeepAliveResponse, ttl time.Duration, granted time.Time) {
	t := time.NewTimer(time.Until(granted.Add(Deadline(ttl, ttl))))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sessionDone:
			cancel(fmt.Errorf("%w: the lease's session ended", ErrLost))
			return
		case r, ok := <-renewals:
			if !ok {
				cancel(fmt.Errorf("%w: the lease's keep-alive ended (lease expired or revoked)", ErrLost))
				return
			}
			t.Reset(Deadline(ttl, time.Duration(r.TTL)*time.Second))
		case <-t.C:
			cancel(fmt.Errorf("%w: no keep-alive answered for %s (lease TTL %s): etcd is unreachable or has no quorum", ErrLost, Deadline(ttl, ttl), ttl))
			return
		}
	}
}

// Deadline is how long after a keep-alive answered with remaining TTL
// left the leader still leads by its own clock: left minus SafetyMargin
// (at least a third of the lease's ttl, keep-alives go every ttl/3).
func Deadline(ttl, left time.Duration) time.Duration {
	d := left - SafetyMargin
	if d < ttl/3 {
		d = ttl / 3
	}
	return d
}

// Current is the leader now: the candidate whose key was created first
// under the election prefix; "" with no leader.
func Current(ctx context.Context, cli *clientv3.Client, prefix string) (name string, f Fence, err error) {
	// Serializable: the asked member's copy, so status answers without a
	// quorum too.
	r, err := cli.Get(ctx, ElectionKey(prefix)+"/", append(clientv3.WithFirstCreate(), clientv3.WithSerializable())...)
	if err != nil {
		return "", Fence{}, err
	}
	if len(r.Kvs) == 0 {
		return "", Fence{}, nil
	}
	kv := r.Kvs[0]
	return string(kv.Value), Fence{Key: string(kv.Key), Rev: kv.CreateRevision}, nil
}
