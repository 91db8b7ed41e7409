package sources

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestWebhookFloodFetchesOncePerInterval: hole 11 of issue 8. A thousand
// signed hooks sent as fast as the machine allows (well within a second)
// against a real source over a real repo cost at most two fetches (the
// one the first hook starts and the one queued behind it), counted by the
// source's fetch counter; and a fetch follows the last hook.
func TestWebhookFloodFetchesOncePerInterval(t *testing.T) {
	const interval = 2 * time.Second
	repo := testkit.NewRepo(t)
	repo.Write("cm.yaml", configMap("app", "one"))
	c1 := repo.Commit("one")
	secretFile := filepath.Join(t.TempDir(), "hook-secret")
	os.WriteFile(secretFile, []byte("s3cret\n"), 0o600)
	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}, Prune: true,
		WebhookSecretFile: secretFile, MinFetchInterval: interval})
	h.run()
	base := h.waitStatus("apps", "first commit applied", func(s Status) bool { return s.LastAppliedCommit == c1 }).Fetches
	if base != 1 {
		t.Fatalf("fetches at start: %d, want 1", base)
	}

	srv := httptest.NewServer((&apiserver.Server{Store: h.st, Syncer: h.m, Token: "api-token"}).Handler())
	defer srv.Close()
	body := `{"ref":"refs/heads/main","after":"0000"}`
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(body))
	sig := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	const hooks, senders = 1000, 8
	goroutines := runtime.NumGoroutine()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: senders}}
	defer client.CloseIdleConnections()
	var wg sync.WaitGroup
	var failed sync.Once
	start := time.Now()
	for w := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < hooks; i += senders {
				req, _ := http.NewRequest("POST", srv.URL+"/hooks/apps", strings.NewReader(body))
				req.Header.Set(apiserver.HeaderGitHub, sig)
				resp, err := client.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != http.StatusAccepted {
					failed.Do(func() { t.Errorf("hook %d: %v %v", i, err, resp) })
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	t.Logf("%d hooks in %s", hooks, took.Round(time.Millisecond))
	// No goroutine outlives its hook: with the connections closed, the
	// count returns to where it was (give or take the server's own).
	client.CloseIdleConnections()
	_ = testkit.Poll(10*time.Second, func() error {
		if runtime.NumGoroutine() > goroutines+4 {
			return errors.New("goroutines left")
		}
		return nil
	})
	if n := runtime.NumGoroutine(); n > goroutines+4 {
		t.Errorf("%d goroutines after the flood, %d before: something is kept per hook", n, goroutines)
	}

	// The hooks may cost one fetch at once and one queued behind it, a
	// further one per interval only if sending took longer than that.
	bound := uint64(2 + int(took/interval))
	// The hooks are not lost: a fetch starts after the last one was
	// accepted (hooks that came while a fetch waited to start are served
	// by it; those during a fetch by one queued behind it).
	lastHook := start.Add(took)
	s := h.waitStatus("apps", "a fetch after the last hook", func(s Status) bool {
		return s.Fetches > base && s.LastFetchAt.After(lastHook)
	})
	// Nothing asks for more: one more interval shows whether a third comes.
	time.Sleep(interval + interval/2)
	s = h.status("apps")
	if got := s.Fetches - base; got > bound {
		t.Fatalf("%d signed hooks in %s caused %d fetches, want at most %d", hooks, took, got, bound)
	}
	if s.LastFetchAt.IsZero() || s.MinFetchInterval != interval {
		t.Errorf("status: lastFetchAt %v, minFetchInterval %v", s.LastFetchAt, s.MinFetchInterval)
	}
}
