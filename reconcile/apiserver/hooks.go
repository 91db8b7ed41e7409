package apiserver

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

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
// cause one more fetch. Triggers coalesce (one pending fetch per source), so
// a burst of hooks causes at most two fetches.
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
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxHookBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("webhook body is over the limit of %d bytes", MaxHookBody))
		return
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("reading webhook body: %w", err))
		return
	}
	if err := CheckHookSignature(r.Header, body, secret); err != nil {
		writeError(w, http.StatusUnauthorized, err)
		return
	}
	if err := s.Syncer.Trigger(name); err != nil {
		writeError(w, http.StatusNotFound, err)
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
	if len(secret) == 0 {
		return errors.New("no webhook secret configured")
	}
	if sig := h.Get(HeaderGitHub); sig != "" {
		hexSig, ok := strings.CutPrefix(sig, "sha256=")
		if !ok || !validHMAC(hexSig, body, secret) {
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
		if !validHMAC(strings.TrimPrefix(sig, "sha256="), body, secret) {
			return fmt.Errorf("%s does not match the body signed with this source's secret", HeaderGeneric)
		}
		return nil
	}
	return fmt.Errorf("the hook carries no signature: send %s (GitHub, Gitea), %s (GitLab) or %s (hex HMAC-SHA256 of the body)", HeaderGitHub, HeaderGitLab, HeaderGeneric)
}

func validHMAC(hexSig string, body, secret []byte) bool {
	got, err := hex.DecodeString(strings.TrimSpace(hexSig))
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
