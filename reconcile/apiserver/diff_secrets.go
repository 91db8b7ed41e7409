package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// SecretIdentities is implemented by a Syncer that decrypts Secrets (the
// sources Manager): the live diff compares encrypted values with them.
type SecretIdentities interface {
	Identities() []age.Identity
}

// maxDiffBody bounds the Secrets one diff request may carry.
const maxDiffBody = 64 << 20

// diffRoutes adds POST /api/v1/diff/secrets.
func (s *Server) diffRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/diff/secrets", s.diffSecrets)
}

// diffSecrets answers, for each Secret of the request (as the CLI read it
// from git: plain or "age:" values), which keys differ from the stored
// Secret: the comparison happens here, where the values are, so a live
// `reconcile diff` of a clean tree shows no change and no value or hash of
// one leaves the controller.
func (s *Server) diffSecrets(w http.ResponseWriter, r *http.Request) {
	var req secrets.DiffRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxDiffBody)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request body: want {\"secrets\": [Secret…]} (at most %d MiB)", maxDiffBody>>20))
		return
	}
	var ids []age.Identity
	if si, ok := s.Syncer.(SecretIdentities); ok {
		ids = si.Identities()
	}
	resp := secrets.DiffResponse{Secrets: make([]secrets.Comparison, 0, len(req.Secrets))}
	for _, want := range req.Secrets {
		if want == nil || want.Name == "" {
			writeError(w, http.StatusBadRequest, errors.New("a Secret of the request has no metadata.name"))
			return
		}
		if want.Namespace == "" {
			want.Namespace = "default"
		}
		var stored *corev1.Secret
		o, err := s.Store.Get(objects.Key{Kind: "Secret", Namespace: want.Namespace, Name: want.Name})
		switch {
		case err == nil:
			stored, _ = o.(*corev1.Secret)
		case !errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusInternalServerError, err)
			return
		}
		resp.Secrets = append(resp.Secrets, secrets.Compare(want, stored, ids...))
	}
	writeJSON(w, http.StatusOK, resp)
}
