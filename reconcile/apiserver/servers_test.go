package apiserver

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// joinedPlane records the joins it is asked for (reconcile/controlplane's
// tests run the real one over real etcd members and TLS).
type joinedPlane struct{ joined []apitypes.ServerJoinRequest }

func (p *joinedPlane) JoinServer(_ context.Context, req apitypes.ServerJoinRequest) (apitypes.ServerJoin, error) {
	p.joined = append(p.joined, req)
	return apitypes.ServerJoin{MemberID: "abc"}, nil
}
func (p *joinedPlane) Servers(context.Context) apitypes.Servers {
	return apitypes.Servers{Store: "etcd (embedded)", Leader: "server-1"}
}
func (p *joinedPlane) RemoveServer(_ context.Context, name string) (apitypes.ServerRemoved, error) {
	return apitypes.ServerRemoved{Name: name}, nil
}

// The servers routes: a single server says so; a server joins only with a
// server token (checked before the body is read), a node's token is 403.
func TestServerRoutes(t *testing.T) {
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	is, err := nodecreds.New(nodecreds.Options{Store: st, CA: ca})
	if err != nil {
		t.Fatal(err)
	}
	srv := &Server{Store: st, Token: "admin", Credentials: is, Revoked: is.Revoked}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	ctx := context.Background()
	admin := apiclient.New(hs.URL, "admin")
	nodeTok, err := admin.CreateToken(ctx, "", "node-b")
	if err != nil {
		t.Fatal(err)
	}
	serverTok, err := admin.CreateToken(ctx, "", jointoken.ServerDescription+"server-2")
	if err != nil {
		t.Fatal(err)
	}
	join := func(bearer, body string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/v1/servers/join", strings.NewReader(body))
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	body := `{"name":"server-2","peerURL":"https://10.0.0.2:7421"}`

	t.Run("single server", func(t *testing.T) {
		s, err := admin.Servers(ctx)
		if err != nil || s.Store != SingleServer || len(s.Members) != 0 {
			t.Fatalf("%+v, %v", s, err)
		}
		if _, err := admin.RemoveServer(ctx, "server-2"); !apierrors.Is(err, apierrors.ReasonConflict) || !strings.Contains(err.Error(), "--cluster-init") {
			t.Errorf("remove: %v", err)
		}
		if code, b := join(serverTok.Token, body); code != 409 || !strings.Contains(b, "single-server") {
			t.Errorf("join: %d %s", code, b)
		}
	})
	p := &joinedPlane{}
	srv.ControlPlane = p
	t.Run("join needs a server token", func(t *testing.T) {
		for _, tc := range []struct {
			name, bearer, body string
			code               int
			msg                string
		}{
			{"no token", "", body, 401, "needs a join token"},
			{"node token, before the body", nodeTok.Token, "garbage", 403, "token create --control-plane"},
			{"server token, bad body", serverTok.Token, "garbage", 400, "bad request body"},
			{"server token", serverTok.Token, body, 200, `"memberID":"abc"`},
		} {
			if code, b := join(tc.bearer, tc.body); code != tc.code || !strings.Contains(b, tc.msg) {
				t.Errorf("%s: %d %s, want %d %q", tc.name, code, b, tc.code, tc.msg)
			}
		}
		if len(p.joined) != 1 || p.joined[0].Name != "server-2" || p.joined[0].PeerURL != "https://10.0.0.2:7421" {
			t.Errorf("joins %+v", p.joined)
		}
	})
	t.Run("status and removal", func(t *testing.T) {
		s, err := admin.Servers(ctx)
		if err != nil || s.Leader != "server-1" {
			t.Fatalf("%+v, %v", s, err)
		}
		if out, err := admin.RemoveServer(ctx, "server-2"); err != nil || out.Name != "server-2" {
			t.Fatalf("%+v, %v", out, err)
		}
	})
}
