package apiserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// hookSyncer is a Syncer with webhook secrets that counts triggers.
type hookSyncer struct {
	mu       sync.Mutex
	secrets  map[string]string
	triggers map[string]int
}

func (h *hookSyncer) Trigger(name string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.triggers[name]++
	return nil
}
func (h *hookSyncer) Statuses() ([]apitypes.SourceStatus, error) { return nil, nil }
func (h *hookSyncer) WebhookSecret(name string) ([]byte, bool, error) {
	s, ok := h.secrets[name]
	return []byte(s), ok, nil
}
func (h *hookSyncer) count(name string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.triggers[name]
}

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

func newHookServer(t *testing.T, token string) (*httptest.Server, *hookSyncer) {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sy := &hookSyncer{secrets: map[string]string{"apps": "s3cret"}, triggers: map[string]int{}}
	hs := httptest.NewServer((&Server{Store: st, Syncer: sy, Token: token}).Handler())
	t.Cleanup(hs.Close)
	return hs, sy
}

func post(t *testing.T, url string, body io.Reader, headers map[string]string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, body)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhookSignatures(t *testing.T) {
	// The API token is set: hooks must get through without it.
	hs, sy := newHookServer(t, "api-token")
	body := `{"ref":"refs/heads/main","after":"deadbeef"}`
	tests := []struct {
		name    string
		source  string
		headers map[string]string
		code    int
		errPart string
	}{
		{"github", "apps", map[string]string{HeaderGitHub: "sha256=" + sign("s3cret", body)}, 202, ""},
		{"gitlab", "apps", map[string]string{HeaderGitLab: "s3cret"}, 202, ""},
		{"generic with prefix", "apps", map[string]string{HeaderGeneric: "sha256=" + sign("s3cret", body)}, 202, ""},
		{"generic bare hex", "apps", map[string]string{HeaderGeneric: sign("s3cret", body)}, 202, ""},
		{"github wrong secret", "apps", map[string]string{HeaderGitHub: "sha256=" + sign("guess", body)}, 401, "does not match"},
		{"github other body", "apps", map[string]string{HeaderGitHub: "sha256=" + sign("s3cret", body+" ")}, 401, "does not match"},
		{"github without sha256= prefix", "apps", map[string]string{HeaderGitHub: sign("s3cret", body)}, 401, "does not match"},
		{"github not hex", "apps", map[string]string{HeaderGitHub: "sha256=zz"}, 401, "does not match"},
		{"gitlab wrong token", "apps", map[string]string{HeaderGitLab: "s3cre"}, 401, "not this source's secret"},
		{"generic wrong", "apps", map[string]string{HeaderGeneric: sign("x", body)}, 401, "does not match"},
		{"no signature", "apps", nil, 401, "carries no signature"},
		{"api token is no hook signature", "apps", map[string]string{"Authorization": "Bearer api-token"}, 401, "carries no signature"},
		{"unknown source", "nope", map[string]string{HeaderGitLab: "s3cret"}, 404, `no source \"nope\"`},
	}
	want := 0
	for _, tc := range tests {
		code, resp := post(t, hs.URL+"/hooks/"+tc.source, strings.NewReader(body), tc.headers)
		if code != tc.code || !strings.Contains(resp, tc.errPart) {
			t.Errorf("%s: %d %s, want %d with %q", tc.name, code, resp, tc.code, tc.errPart)
		}
		if code == 202 {
			want++
		}
		if got := sy.count("apps"); got != want {
			t.Fatalf("%s: %d triggers, want %d (only valid hooks trigger)", tc.name, got, want)
		}
	}
	// Other routes still need the token, also through /hooks/.. paths.
	for _, p := range []string{"/api/v1/sync", "/hooks/../api/v1/sync", "/hooks/%2e%2e/api/v1/sync"} {
		code, _ := post(t, hs.URL+p, nil, nil)
		if code != http.StatusUnauthorized && code != http.StatusNotFound && code != http.StatusMovedPermanently {
			t.Errorf("POST %s without token: %d, want 401 (or a redirect/404 that triggers nothing)", p, code)
		}
	}
	if sy.count("") != 0 {
		t.Error("a request without the API token triggered a sync")
	}
}

func TestWebhookBodyLimit(t *testing.T) {
	hs, sy := newHookServer(t, "")
	big := strings.Repeat("x", MaxHookBody+1)
	sig := map[string]string{HeaderGitHub: "sha256=" + sign("s3cret", big)}
	if code, resp := post(t, hs.URL+"/hooks/apps", strings.NewReader(big), sig); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body with Content-Length: %d %s, want 413", code, resp)
	}
	// Without Content-Length (chunked): the limit applies while reading.
	chunked := io.MultiReader(strings.NewReader(big)) // not a *strings.Reader: no length known
	if code, resp := post(t, hs.URL+"/hooks/apps", chunked, sig); code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized chunked body: %d %s, want 413", code, resp)
	}
	exact := strings.Repeat("x", MaxHookBody)
	if code, resp := post(t, hs.URL+"/hooks/apps", bytes.NewReader([]byte(exact)), map[string]string{HeaderGitHub: "sha256=" + sign("s3cret", exact)}); code != http.StatusAccepted {
		t.Errorf("body of exactly the limit: %d %s, want 202", code, resp)
	}
	if got := sy.count("apps"); got != 1 {
		t.Errorf("%d triggers, want 1 (oversized bodies trigger nothing)", got)
	}
}

// FuzzCheckHookSignature: any headers and body are answered with an error
// or accepted only when they carry the body's real signature.
func FuzzCheckHookSignature(f *testing.F) {
	f.Add("sha256="+sign("s3cret", "{}"), "", "{}")
	f.Add("", "s3cret", "{}")
	f.Add("sha256=zz", "", "")
	f.Add("", "", "x")
	f.Fuzz(func(t *testing.T, github, gitlab, body string) {
		h := http.Header{}
		if github != "" {
			h.Set(HeaderGitHub, github)
		}
		if gitlab != "" {
			h.Set(HeaderGitLab, gitlab)
		}
		err := CheckHookSignature(h, []byte(body), []byte("s3cret"))
		if err != nil {
			return
		}
		if h.Get(HeaderGitHub) != "" {
			if !strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(h.Get(HeaderGitHub), "sha256=")), sign("s3cret", body)) {
				t.Fatalf("accepted a wrong GitHub signature %q for %q", github, body)
			}
		} else if h.Get(HeaderGitLab) != "s3cret" {
			t.Fatalf("accepted GitLab token %q", gitlab)
		}
	})
}
