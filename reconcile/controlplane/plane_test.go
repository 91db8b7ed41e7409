package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// first is the first server: --cluster-init, its PKI, its admin token and
// Secrets key, and a real API server over TLS with join tokens.
type first struct {
	data  string
	plane *Plane
	url   string
	nodes *nodecreds.Issuer
}

func startFirst(t *testing.T) *first {
	t.Helper()
	data := t.TempDir()
	p, err := credentials.OpenControllerPKI(data, "127.0.0.1:7420", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, APITokenFile), []byte("admin-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := secrets.LoadOrCreateIdentity(data); err != nil {
		t.Fatal(err)
	}
	plane, err := Start(context.Background(), Options{Data: data, Name: "server-1", ClusterInit: true, Advertise: "127.0.0.1",
		PeerPort: membertest.FreePort(t), ClientPort: membertest.FreePort(t), TTL: 5 * time.Second}, p.CA)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(plane.Close)
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	nodes, err := nodecreds.New(nodecreds.Options{Store: st, CA: p.CA})
	if err != nil {
		t.Fatal(err)
	}
	srv := &apiserver.Server{Store: st, Token: "admin-token", Credentials: nodes, TLS: p.APIServerTLS(), ControlPlane: plane}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return &first{data: data, plane: plane, url: "https://" + ln.Addr().String(), nodes: nodes}
}

func (f *first) token(t *testing.T, description string) string {
	tok, _, err := f.nodes.CreateToken(time.Hour, description)
	if err != nil {
		t.Fatal(err)
	}
	return tok.String()
}

func joinOptions(t *testing.T, f *first, name, token string) Options {
	return Options{Data: t.TempDir(), Name: name, Join: f.url, Token: token, Advertise: "127.0.0.1",
		PeerPort: membertest.FreePort(t), ClientPort: membertest.FreePort(t), TTL: 5 * time.Second}
}

// A second server joins through the first's API with a server token: it
// gets the cluster's CA, admin token and Secrets key, its member is added
// as a learner and promoted; status lists both and the leader; a node's
// token is refused; removal goes through the API.
func TestJoinThroughTheAPI(t *testing.T) {
	f := startFirst(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("a node's token is refused", func(t *testing.T) {
		err := Bootstrap(ctx, joinOptions(t, f, "server-x", f.token(t, "node-b")))
		if !apierrors.Is(err, apierrors.ReasonForbidden) || !strings.Contains(err.Error(), "token create --control-plane") {
			t.Fatalf("got %v", err)
		}
	})

	o := joinOptions(t, f, "server-2", f.token(t, jointoken.ServerDescription+"server-2"))
	if err := Bootstrap(ctx, o); err != nil {
		t.Fatal(err)
	}
	for _, name := range SharedFiles() {
		a, _ := os.ReadFile(filepath.Join(f.data, name))
		b, err := os.ReadFile(filepath.Join(o.Data, name))
		if err != nil || string(a) != string(b) {
			t.Errorf("%s not copied to the joining server: %v", name, err)
		}
	}
	p2, err := credentials.OpenControllerPKI(o.Data, "127.0.0.1:7420", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	plane2, err := Start(ctx, o, p2.CA)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if plane2 != nil {
			plane2.Close()
		}
	}()

	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	go f.plane.Lead(lctx, func(ctx context.Context, _ leader.Fence) error { <-ctx.Done(); return nil })

	roots := x509.NewCertPool()
	roots.AddCert(p2.CA.Cert)
	admin := apiclient.NewTLS(f.url, "admin-token", &tls.Config{RootCAs: roots})
	t.Run("status", func(t *testing.T) {
		testkit.Eventually(t, 2*time.Minute, "both members healthy and server-1 leading", func() error {
			s := plane2.Servers(ctx)
			if s.Leader != "server-1" || len(s.Members) != 2 || s.Store != "etcd (embedded)" {
				return fmt.Errorf("%+v", s)
			}
			for _, m := range s.Members {
				if !m.Healthy || m.Learner {
					return fmt.Errorf("%+v", m)
				}
			}
			return nil
		})
	})
	t.Run("only the leader syncs", func(t *testing.T) {
		// The election names server-1 (status above) a moment before its
		// term starts: wait for it.
		testkit.Eventually(t, time.Minute, "server-1 leads", func() error { return f.plane.NotLeader(ctx) })
		err := plane2.NotLeader(ctx)
		if !apierrors.Is(err, apierrors.ReasonServiceUnavailable) || !strings.Contains(err.Error(), "server-1 (at 127.0.0.1) does") {
			t.Errorf("a follower: %v", err)
		}
	})
	t.Run("joining twice is a conflict", func(t *testing.T) {
		o2 := joinOptions(t, f, "server-2", f.token(t, jointoken.ServerDescription+"again"))
		if err := Bootstrap(ctx, o2); !apierrors.Is(err, apierrors.ReasonConflict) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("remove", func(t *testing.T) {
		if _, err := admin.RemoveServer(ctx, "server-1"); !apierrors.Is(err, apierrors.ReasonConflict) {
			t.Errorf("removing the server asked: %v", err)
		}
		out, err := admin.RemoveServer(ctx, "server-2")
		if err != nil || out.Name != "server-2" {
			t.Fatalf("%+v, %v", out, err)
		}
		plane2.Close()
		plane2 = nil
		s, err := admin.Servers(ctx)
		if err != nil || len(s.Members) != 1 || s.Leader != "server-1" {
			t.Fatalf("%+v, %v", s, err)
		}
	})
}
