package apiserver

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// followerSyncer answers every leader-only request as a server that does
// not lead (controlplane's NotLeader), and "no such source" for one name.
type followerSyncer struct{ secret string }

var errNotLeader = apierrors.New(apierrors.ReasonServiceUnavailable, "server server-2 does not lead the control plane; server-1 does")

func (f followerSyncer) Trigger(name string) error {
	if name == "nope" {
		return errors.New(`no source named "nope"`)
	}
	return errNotLeader
}
func (followerSyncer) Statuses() ([]apitypes.SourceStatus, error) { return nil, nil }
func (followerSyncer) History(string) (string, []reconcile.HistoryEntry, error) {
	return "apps", nil, nil
}
func (followerSyncer) Rollback(context.Context, string, string) (reconcile.SourceStatus, error) {
	return reconcile.SourceStatus{}, errNotLeader
}
func (followerSyncer) Resume(string) error { return errNotLeader }
func (f followerSyncer) WebhookSecret(name string) ([]byte, bool, error) {
	return []byte(f.secret), name == "apps", nil
}

// TestLeaderOnlyRoutesAnswer503OnAFollower: sync, a webhook, rollback and
// resume on a server that does not lead answer 503 ServiceUnavailable with
// the leader's name (the Syncer's error), not the route's usual 404/409;
// an unclassified error keeps the route's code.
func TestLeaderOnlyRoutesAnswer503OnAFollower(t *testing.T) {
	st := openStore(t)
	hs := httptest.NewServer((&Server{Store: st, Syncer: followerSyncer{secret: "s3cret"}, Token: "tok"}).Handler())
	t.Cleanup(hs.Close)
	auth := map[string]string{"Authorization": "Bearer tok"}
	body := `{"ref":"refs/heads/main"}`
	for _, tc := range []struct {
		what, path string
		headers    map[string]string
		body       string
		code       int
	}{
		{"sync", "/api/v1/sync?source=apps", auth, "", http.StatusServiceUnavailable},
		{"sync of an unknown source", "/api/v1/sync?source=nope", auth, "", http.StatusNotFound},
		{"rollback", "/api/v1/rollback?source=apps&commit=abc123", auth, "", http.StatusServiceUnavailable},
		{"resume", "/api/v1/resume?source=apps", auth, "", http.StatusServiceUnavailable},
		{"webhook", "/hooks/apps", map[string]string{HeaderGitHub: "sha256=" + sign("s3cret", body)}, body, http.StatusServiceUnavailable},
	} {
		code, got := post(t, hs.URL+tc.path, strings.NewReader(tc.body), tc.headers)
		if code != tc.code {
			t.Errorf("%s on a follower: %d %s, want %d", tc.what, code, got, tc.code)
		}
		if tc.code == http.StatusServiceUnavailable && !strings.Contains(got, "server-1 does") {
			t.Errorf("%s on a follower: %s, want the leader named", tc.what, got)
		}
	}
}
