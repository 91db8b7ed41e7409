package apiserver

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// MaxHookBody is the largest webhook body read (GitHub caps payloads at
// 25 MB, but a push event is a few KiB; the body is only hashed).
const MaxHookBody = 1 << 20

// HookSecrets is what the webhook receiver needs of the git side; the
// server's Syncer implements it when sources have webhooks.
type HookSecrets interface {
	// WebhookSecret returns the shared secret of a source; known is false
	// for an unknown source or one without a webhook.
	WebhookSecret(source string) (secret []byte, known bool, err error)
}

// hook serves POST /hooks/{source}. It authenticates by signature, not by
// the API token: a valid hook only asks the source to fetch now, and the
// payload is never read as content, so a replayed hook can do no more than
// cause one more fetch. Triggers coalesce (one fetch running and one pending
// per source, at least the source's minFetchInterval apart), so a burst of
// hooks costs at most one fetch per interval.
func (s *Server) hook(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("source")
	hs, ok := s.Syncer.(HookSecrets)
	if !ok {
		writeError(w, http.StatusNotFound, errors.New("this server has no webhooks: configure sources with a webhook secret"))
		return
	}
	secret, known, err := hs.WebhookSecret(name)
	if !known {
		writeError(w, http.StatusNotFound, fmt.Errorf("no source %q with a webhook: check the hook URL, and give the source a webhook secretFile", name))
		return
	}
	if err != nil {
		s.logError("webhook secret unreadable", err)
		writeError(w, http.StatusInternalServerError, errors.New("the webhook secret of this source cannot be read: see the controller log"))
		return
	}
	if r.ContentLength > MaxHookBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("webhook body of %d bytes is over the limit of %d", r.ContentLength, MaxHookBody))
		return
	}
	// The body is hashed as it streams in, never held: a flood of hooks
	// costs no memory per hook beyond the connection's.
	sum, err := hookMAC(secret, http.MaxBytesReader(w, r.Body, MaxHookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("webhook body is over the limit of %d bytes", MaxHookBody))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("reading webhook body: %w", err))
		return
	}
	if err := checkHookMAC(r.Header, sum, secret); err != nil {
		writeError(w, http.StatusUnauthorized, err)
		return
	}
	if err := s.Syncer.Trigger(name); err != nil {
		writeErrOr(w, http.StatusNotFound, err)
		return
	}
	writeJSON(w, http.StatusAccepted, apitypes.Ack{Status: "fetch requested", Source: name})
}

func (s *Server) logError(msg string, err error) {
	if s.Log != nil {
		s.Log.Error(msg, "err", err)
	}
}

// Signature headers, checked in this order; the first one present decides.
const (
	// HeaderGitHub is GitHub's (also Gitea's and Forgejo's) signature:
	// "sha256=" + hex HMAC-SHA256 of the body keyed with the secret.
	HeaderGitHub = "X-Hub-Signature-256"
	// HeaderGitLab is GitLab's secret token, sent as is.
	HeaderGitLab = "X-Gitlab-Token"
	// HeaderGeneric is for any other sender: hex HMAC-SHA256 of the body
	// keyed with the secret, with or without a "sha256=" prefix.
	HeaderGeneric = "X-Signature-256"
)

// CheckHookSignature authenticates a webhook body. Every comparison takes
// constant time.
func CheckHookSignature(h http.Header, body, secret []byte) error {
	sum, _ := hookMAC(secret, bytes.NewReader(body))
	return checkHookMAC(h, sum, secret)
}

// macBuffers are the copy buffers of hookMAC, shared by all requests.
var macBuffers = sync.Pool{New: func() any { b := make([]byte, 16<<10); return &b }}

// hookMAC is the HMAC-SHA256 of a body read to its end, keyed with secret.
func hookMAC(secret []byte, body io.Reader) ([]byte, error) {
	mac := hmac.New(sha256.New, secret)
	buf := macBuffers.Get().(*[]byte)
	defer macBuffers.Put(buf)
	if _, err := io.CopyBuffer(mac, body, *buf); err != nil {
		return nil, err
	}
	return mac.Sum(nil), nil
}

// checkHookMAC checks the signature headers against sum, the body's
// HMAC-SHA256 with secret.
func checkHookMAC(h http.Header, sum, secret []byte) error {
	if len(secret) == 0 {
		return errors.New("no webhook secret configured")
	}
	if sig := h.Get(HeaderGitHub); sig != "" {
		hexSig, ok := strings.CutPrefix(sig, "sha256=")
		if !ok || !validHMAC(hexSig, sum) {
			return fmt.Errorf("%s does not match the body signed with this source's secret", HeaderGitHub)
		}
		return nil
	}
	if tok := h.Get(HeaderGitLab); tok != "" {
		// Compare digests, so that the length of the secret does not leak.
		a, b := sha256.Sum256([]byte(tok)), sha256.Sum256(secret)
		if subtle.ConstantTimeCompare(a[:], b[:]) != 1 {
			return fmt.Errorf("%s is not this source's secret", HeaderGitLab)
		}
		return nil
	}
	if sig := h.Get(HeaderGeneric); sig != "" {
		if !validHMAC(strings.TrimPrefix(sig, "sha256="), sum) {
			return fmt.Errorf("%s does not match the body signed with this source's secret", HeaderGeneric)
		}
		return nil
	}
	return fmt.Errorf("the hook carries no signature: send %s (GitHub, Gitea), %s (GitLab) or %s (hex HMAC-SHA256 of the body)", HeaderGitHub, HeaderGitLab, HeaderGeneric)
}

func validHMAC(hexSig string, sum []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(hexSig))
	if err != nil {
		return false
	}
	return hmac.Equal(got, sum)
}
