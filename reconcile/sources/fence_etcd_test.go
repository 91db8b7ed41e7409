package sources

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestSyncWritesThroughTheTermsFence: on a control plane of several
// servers the leader's git sync writes through its store fenced by its
// term (RunOn). A term whose election key is gone (its lease lost, another
// server may lead) fails its apply with store.ErrFenced and writes
// nothing, while the Manager's store still serves reads; the next term,
// with a live key, applies the same commit.
func TestSyncWritesThroughTheTermsFence(t *testing.T) {
	st, cli := openOnEtcd(t, "/sources-fence/")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	elect := func() *store.Store { // an election key as concurrency.Election's: its create revision is the term
		resp, err := cli.Put(ctx, "/sources-fence-election/leader", "server-1")
		if err != nil {
			t.Fatal(err)
		}
		return st.Fenced("/sources-fence-election/leader", resp.Header.Revision)
	}

	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {k: v}\n")
	commit := repo.Commit("a ConfigMap")
	m := newManager(t, st, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}})

	lost := elect()
	if _, err := cli.Delete(ctx, "/sources-fence-election/leader"); err != nil { // the lease expired
		t.Fatal(err)
	}
	rv := st.ResourceVersion()
	m.term.Store(&term{st: lost, applier: m.applier.On(lost)}) // what RunOn sets for the term
	if err := m.runners["apps"].syncOnce(ctx); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a sync on a term that lost its election key: %v, want store.ErrFenced", err)
	}
	m.term.Store(nil)
	if got := st.ResourceVersion(); got != rv {
		t.Fatalf("the refused term wrote: resourceVersion %d, was %d", got, rv)
	}
	if _, err := st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "app"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused term's ConfigMap: %v, want not found", err)
	}
	if s, err := reconcile.GetSourceStatus(st, "apps"); err != nil || s.LastAppliedCommit != "" || s.LastAttemptedCommit != "" {
		t.Fatalf("the refused term wrote the source status: %+v, %v", s, err)
	}

	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- m.RunOn(runCtx, elect()) }()
	testkit.Eventually(t, time.Minute, "the next term applied the commit", func() error {
		s, err := reconcile.GetSourceStatus(st, "apps")
		if err != nil {
			return err
		}
		if s.LastAppliedCommit != commit {
			return errors.New("last applied " + s.LastAppliedCommit)
		}
		return nil
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestRestoreUnderARunningLoopReappliesGit: a snapshot of an older commit
// restored under a running source loop (store.RestoreEtcd, as `reconcile
// snapshot restore --server-side` does) ends the loop's store watch; the
// loop checks its source at once and applies git's commit again over the
// restored state, without waiting for the periodic drift check.
func TestRestoreUnderARunningLoopReappliesGit(t *testing.T) {
	defer func(d time.Duration) { DriftCheckInterval = d }(DriftCheckInterval)
	DriftCheckInterval = time.Hour // only the restore can cause the check
	cl := etcdtest.StartCluster(t, 1)
	cli := cl.Client(t)
	eo := store.EtcdOptions{Prefix: "/sources-restore/"}
	st, err := store.OpenEtcd("", cli, store.Options{}, eo)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {k: one}\n")
	first := repo.Commit("one")
	m := newManager(t, st, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	applied := func(commit string) func() error {
		return func() error {
			s, err := reconcile.GetSourceStatus(st, "apps")
			if err != nil {
				return err
			}
			if s.LastAppliedCommit != commit {
				return errors.New("last applied " + s.LastAppliedCommit)
			}
			return nil
		}
	}
	testkit.Eventually(t, time.Minute, "the first commit applied", applied(first))
	var snap bytes.Buffer
	if _, err := st.Snapshot(&snap); err != nil {
		t.Fatal(err)
	}
	repo.Write("cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default}\ndata: {k: two}\n")
	second := repo.Commit("two")
	testkit.Eventually(t, time.Minute, "the second commit applied", applied(second))

	rv, err := store.RestoreEtcd(&snap, cli, eo)
	if err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, time.Minute, "the view loaded the restore", func() error {
		if st.ResourceVersion() < rv {
			return errors.New("not yet")
		}
		return nil
	})
	testkit.Eventually(t, time.Minute, "git's commit applied again over the restored one", applied(second))
}

// TestRollbackOfAStaleLeaderIsFenced: rollback and resume pin and unpin
// through the running term's fenced store, like every write of the source
// loop. A leader whose election key is gone (it has not noticed yet) gets
// store.ErrFenced, answered as ServiceUnavailable, and writes nothing: the
// pin is not stored, an existing pin is not removed. A server where no
// term runs refuses the same way instead of writing unfenced.
func TestRollbackOfAStaleLeaderIsFenced(t *testing.T) {
	st, cli := openOnEtcd(t, "/sources-pin-fence/")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const electionKey = "/sources-pin-fence-election/leader"
	resp, err := cli.Put(ctx, electionKey, "server-1")
	if err != nil {
		t.Fatal(err)
	}
	stale := st.Fenced(electionKey, resp.Header.Revision)

	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	repo.Write("cm.yaml", configMap("app", "two"))
	repo.Commit("two")
	m := newManager(t, st, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}})

	if _, err := m.Rollback(ctx, "apps", c1); !apierrors.Is(err, apierrors.ReasonServiceUnavailable) || !strings.Contains(err.Error(), "does not run on this server") {
		t.Fatalf("a rollback on a server where no term runs: %v, want ServiceUnavailable", err)
	}
	if p, err := getPin(st, "apps"); p != nil || err != nil {
		t.Fatalf("a rollback without a term pinned: %+v, %v", p, err)
	}

	m.term.Store(&term{st: stale, applier: m.applier.On(stale)}) // what RunOn sets for the term
	defer m.term.Store(nil)
	if _, err := cli.Delete(ctx, electionKey); err != nil { // the lease expired: another may lead
		t.Fatal(err)
	}
	rv := st.ResourceVersion()
	_, err = m.Rollback(ctx, "apps", c1)
	if !errors.Is(err, store.ErrFenced) || !apierrors.Is(err, apierrors.ReasonServiceUnavailable) {
		t.Fatalf("a rollback by a stale leader: %v, want store.ErrFenced as ServiceUnavailable", err)
	}
	if p, err := getPin(st, "apps"); p != nil || err != nil {
		t.Fatalf("the stale leader's pin was written: %+v, %v", p, err)
	}
	if got := st.ResourceVersion(); got != rv {
		t.Fatalf("the refused rollback wrote: resourceVersion %d, was %d", got, rv)
	}

	// The new leader pins; the stale one cannot unpin.
	if err := st.Update(func(tx *store.Tx) error { return tx.PutMeta(pinKey("apps"), Pin{Commit: c1, At: time.Now().UTC()}) }); err != nil {
		t.Fatal(err)
	}
	if err := m.Resume("apps"); !errors.Is(err, store.ErrFenced) {
		t.Fatalf("a resume by a stale leader: %v, want store.ErrFenced", err)
	}
	if p, err := getPin(st, "apps"); p == nil || p.Commit != c1 || err != nil {
		t.Fatalf("the stale leader's resume removed the new leader's pin: %+v, %v", p, err)
	}
}

// openOnEtcd opens a store under prefix on a one-member etcd started for
// the test; both are closed at its end.
func openOnEtcd(t *testing.T, prefix string) (*store.Store, *clientv3.Client) {
	t.Helper()
	cli := etcdtest.StartCluster(t, 1).Client(t)
	st, err := store.OpenEtcd("", cli, store.Options{}, store.EtcdOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st, cli
}
