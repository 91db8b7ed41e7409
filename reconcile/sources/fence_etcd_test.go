package sources

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestSyncWritesThroughTheTermsFence: on a control plane of several
// servers the leader's git sync writes through its store fenced by its
// term (RunOn). A term whose election key is gone (its lease lost, another
// server may lead) fails its apply with store.ErrFenced and writes
// nothing, while the Manager's store still serves reads; the next term,
// with a live key, applies the same commit.
func TestSyncWritesThroughTheTermsFence(t *testing.T) {
	cl := etcdtest.StartCluster(t, 1)
	cli := cl.Client(t)
	st, err := store.OpenEtcd("", cli, store.Options{}, store.EtcdOptions{Prefix: "/sources-fence/"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
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
	v, err := schema.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(st, v, slog.New(slog.NewTextHandler(io.Discard, nil)), []Config{{Config: gitsync.Config{Name: "apps", URL: repo.Dir}}})
	if err != nil {
		t.Fatal(err)
	}

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
