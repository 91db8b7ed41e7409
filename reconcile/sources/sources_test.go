package sources

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func configMap(name, value string) string {
	return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  value: " + value + "\n"
}

// harness runs a Manager over real Badger (in memory) and real git repos.
type harness struct {
	t      *testing.T
	st     *store.Store
	m      *Manager
	cancel context.CancelFunc
	done   chan struct{}
}

func newHarness(t *testing.T, cfgs ...Config) *harness {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &harness{t: t, st: st, m: newManager(t, st, cfgs...)}
}

// newManager is a Manager of cfgs over st with the real schema, logging
// nowhere.
func newManager(t *testing.T, st *store.Store, cfgs ...Config) *Manager {
	t.Helper()
	v, err := schema.NewValidator()
	if err != nil {
		t.Fatal(err)
	}
	m, err := New(st, v, slog.New(slog.NewTextHandler(io.Discard, nil)), cfgs)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (h *harness) run() {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() { h.m.Run(ctx); close(h.done) }()
	h.t.Cleanup(h.stop)
}

func (h *harness) stop() {
	if h.cancel != nil {
		h.cancel()
		<-h.done
		h.cancel = nil
	}
}

func (h *harness) status(name string) Status {
	h.t.Helper()
	s, err := h.m.runners[name].status()
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

// waitStatus polls until cond holds, failing only after a generous deadline.
func (h *harness) waitStatus(name, what string, cond func(Status) bool) Status {
	h.t.Helper()
	var s Status
	testkit.Eventually(h.t, 20*time.Second, what, func() error {
		if s = h.status(name); !cond(s) {
			return fmt.Errorf("status %+v", s)
		}
		return nil
	})
	return s
}

func TestWebhookBurstCausesAtMostTwoFetches(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	secretFile := filepath.Join(t.TempDir(), "hook-secret")
	os.WriteFile(secretFile, []byte("s3cret\n"), 0o600)
	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}, Prune: true, WebhookSecretFile: secretFile})

	// Count the fetches that start once hooks are sent; after the first
	// sync, each fetch waits for a release.
	r := h.m.runners["apps"]
	var (
		mu         sync.Mutex
		hooksSent  bool
		hookCaused int
		gate       chan struct{}
		started    = make(chan struct{}, 100)
	)
	real := r.fetch
	r.fetch = func(ctx context.Context) (*gitsync.Snapshot, error) {
		mu.Lock()
		if hooksSent {
			hookCaused++
		}
		g := gate
		mu.Unlock()
		started <- struct{}{}
		if g != nil {
			select {
			case <-g:
			case <-ctx.Done():
			}
		}
		return real(ctx)
	}
	h.run()
	h.waitStatus("apps", "first commit applied", func(s Status) bool { return s.LastAppliedCommit == c1 })
	<-started
	release := make(chan struct{})
	mu.Lock()
	gate = release
	mu.Unlock()

	srv := httptest.NewServer((&apiserver.Server{Store: h.st, Syncer: h.m}).Handler())
	defer srv.Close()
	body := `{"ref":"refs/heads/main"}`
	hook := func() {
		req, _ := http.NewRequest("POST", srv.URL+"/hooks/apps", strings.NewReader(body))
		req.Header.Set(apiserver.HeaderGitLab, "s3cret")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("hook: %d", resp.StatusCode)
		}
	}
	// The first hook starts a fetch, which is held; the burst that follows
	// (the same signed payload replayed 50 times) folds into one pending signal.
	mu.Lock()
	hooksSent = true
	mu.Unlock()
	hook()
	<-started
	for range 50 {
		hook()
	}
	close(release)
	<-started // the pending signal's fetch
	h.stop()
	mu.Lock()
	defer mu.Unlock()
	if hookCaused < 1 || hookCaused > 2 {
		t.Fatalf("51 hooks caused %d fetches, want 1 or 2", hookCaused)
	}
}

func TestUnsignedCommitIsRefusedAndTheLastGoodOneKeepsRunning(t *testing.T) {
	testkit.NeedSSHKeygen(t)
	key, stranger := testkit.NewSSHKey(t, "ada@example.com"), testkit.NewSSHKey(t, "eve@example.com")
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "signed"))
	good := repo.Commit("signed by ada", key.SignArgs()...)
	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir,
		Verify: gitsync.Verification{Mode: gitsync.VerifyHead, SSHAllowedSignersFile: key.AllowedSignersFile}}, Prune: true})
	h.run()
	s := h.waitStatus("apps", "signed commit applied", func(s Status) bool { return s.LastAppliedCommit == good })
	if !strings.Contains(s.SignedBy, "ada@example.com") || s.Verify != "head" || s.Pinned {
		t.Errorf("status after a signed commit: %+v", s)
	}

	for _, tc := range []struct {
		msg    string
		sign   []string
		reason string
	}{
		{"unsigned", nil, "the commit is not signed"},
		{"signed by eve", stranger.SignArgs(), "not in the allowed signers file"},
	} {
		repo.Write("cm.yaml", configMap("app", "evil"))
		bad := repo.Commit(tc.msg, tc.sign...)
		s = h.waitStatus("apps", tc.msg+" refused", func(s Status) bool { return s.LastAttemptedCommit == bad })
		if s.LastAppliedCommit != good || len(s.Errors) != 1 || !strings.Contains(s.Errors[0], tc.reason) ||
			s.LastAttemptedMessage != tc.msg || s.LastAttemptedAuthor != "Ada <ada@example.com>" {
			t.Errorf("%s: status %+v", tc.msg, s)
		}
		o, err := h.st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "app"})
		if err != nil || !strings.Contains(jsonOf(o), `"signed"`) {
			t.Errorf("%s: the running ConfigMap changed: %v %v", tc.msg, err, o)
		}
	}
}

func TestTargetNamespaceAndSemverRef(t *testing.T) {
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	repo.Write("other.yaml", strings.Replace(configMap("pinned", "x"), "  name: pinned\n", "  name: pinned\n  namespace: kept\n", 1))
	repo.Write("ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: apps\n")
	repo.Commit("one")
	repo.Git("tag", "v1.2.0")
	repo.Write("cm.yaml", configMap("app", "two"))
	repo.Commit("two")
	repo.Git("tag", "v1.3.0")
	repo.Write("cm.yaml", configMap("app", "three"))
	repo.Commit("three")
	repo.Git("tag", "v2.0.0")

	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir, Ref: "^1"}, Namespace: "apps", Prune: true})
	h.run()
	s := h.waitStatus("apps", "applied", func(s Status) bool { return s.LastAppliedCommit != "" })
	if s.ResolvedRef != "v1.3.0" || s.Ref != "^1" || s.Namespace != "apps" || !s.NextPollAt.IsZero() {
		t.Errorf("status: %+v", s)
	}
	o, err := h.st.Get(objects.Key{Kind: "ConfigMap", Namespace: "apps", Name: "app"})
	if err != nil || !strings.Contains(jsonOf(o), `"two"`) {
		t.Fatalf("ConfigMap apps/app at v1.3.0: %v %v", o, err)
	}
	if _, err := h.st.Get(objects.Key{Kind: "ConfigMap", Namespace: "kept", Name: "pinned"}); err != nil {
		t.Errorf("an object naming its namespace moved: %v", err)
	}
	if _, err := h.st.Get(objects.Key{Kind: "Namespace", Name: "apps"}); err != nil {
		t.Errorf("cluster-scoped object: %v", err)
	}
}

func jsonOf(o any) string {
	b, _ := json.Marshal(o)
	return string(b)
}
