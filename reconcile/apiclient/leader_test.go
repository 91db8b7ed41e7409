package apiclient_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/sourcestate"
)

// syncer is a server's source loop: a follower's answers 503 naming the
// leader (controlplane's NotLeader), the leader's counts what it did.
type syncer struct {
	leads                       bool
	synced, rolledBack, resumed int
}

func (s *syncer) refuse() error {
	if s.leads {
		return nil
	}
	return apierrors.New(apierrors.ReasonServiceUnavailable, "server a does not lead the control plane; b does")
}
func (s *syncer) Trigger(string) error {
	if err := s.refuse(); err != nil {
		return err
	}
	s.synced++
	return nil
}
func (s *syncer) Statuses() ([]apitypes.SourceStatus, error) { return nil, nil }
func (s *syncer) History(string) (string, []reconcile.HistoryEntry, error) {
	return "apps", nil, nil
}
func (s *syncer) Rollback(_ context.Context, _, commit string) (sourcestate.SourceStatus, error) {
	if err := s.refuse(); err != nil {
		return sourcestate.SourceStatus{}, err
	}
	s.rolledBack++
	return sourcestate.SourceStatus{Name: "apps", LastAppliedCommit: commit}, nil
}
func (s *syncer) Resume(string) error {
	if err := s.refuse(); err != nil {
		return err
	}
	s.resumed++
	return nil
}

// TestLeaderOnlyRequestsFindTheLeader: with several servers, sync,
// rollback and resume sent to one that does not lead (503) go on to the
// next, which leads and carries them out; the client then stays there.
// With every server refusing, the answer is the 503 naming the leader.
func TestLeaderOnlyRequestsFindTheLeader(t *testing.T) {
	st, _, _ := twoServers(t)
	follower, leader := &syncer{}, &syncer{leads: true}
	var toA atomic.Int32
	ah := (&apiserver.Server{Store: st, Syncer: follower}).Handler()
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { toA.Add(1); ah.ServeHTTP(w, r) }))
	b := httptest.NewServer((&apiserver.Server{Store: st, Syncer: leader}).Handler())
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	ctx := context.Background()
	c := apiclient.New(a.URL+","+b.URL, "")
	if err := c.Sync(ctx, "apps"); err != nil {
		t.Fatalf("sync through a follower first: %v", err)
	}
	if s, err := c.Rollback(ctx, "apps", "abc123"); err != nil || s.LastAppliedCommit != "abc123" {
		t.Fatalf("rollback: %+v, %v", s, err)
	}
	if err := c.Resume(ctx, "apps"); err != nil {
		t.Fatalf("resume: %v", err)
	}
	if leader.synced != 1 || leader.rolledBack != 1 || leader.resumed != 1 {
		t.Errorf("the leader carried out %+v, want each once", *leader)
	}
	if n := toA.Load(); n != 1 {
		t.Errorf("the follower got %d requests, want 1 (the client stays on the leader)", n)
	}

	only := apiclient.New(a.URL, "")
	err := only.Sync(ctx, "apps")
	if !apierrors.Is(err, apierrors.ReasonServiceUnavailable) || err.Error() != "server a does not lead the control plane; b does" {
		t.Errorf("sync to a follower alone: %v, want its 503", err)
	}
}
