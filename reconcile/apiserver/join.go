package apiserver

import (
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Joining hosts (issue 9, reconcile/nodecreds): join tokens, a node's
// join and renewal, and node deletion with revocation. Served when
// Server.Credentials is set.
//
//	POST   /api/v1/tokens                     make a join token (admin); answers it once with its secret
//	GET    /api/v1/tokens                     list tokens: id, description, expiry, uses (never the secret)
//	DELETE /api/v1/tokens/{id}                delete a token (admin)
//	POST   /api/v1/join                       a node joins: join token as bearer, apitypes.JoinRequest
//	POST   /api/v1/nodes/{name}/certificate   a node renews its own certificate (mTLS), apitypes.CertificateRequest
//	DELETE /api/v1/nodes/{name}               delete a node, its pods, and revoke its certificates (admin)
//
// Who may call them is the guard's (guard.go, reconcile/authz: tokens and
// node deletion are an admin's, renewal the node's own, join is exempt),
// and so is the revocation check.
func (s *Server) joinRoutes(mux *http.ServeMux) {
	if s.Credentials == nil {
		return
	}
	mux.HandleFunc("POST /api/v1/tokens", s.createToken)
	mux.HandleFunc("GET /api/v1/tokens", s.listTokens)
	mux.HandleFunc("DELETE /api/v1/tokens/{id}", s.deleteToken)
	mux.HandleFunc("POST /api/v1/join", s.join)
	mux.HandleFunc("POST /api/v1/nodes/{name}/certificate", s.renewCertificate)
	mux.HandleFunc("DELETE /api/v1/nodes/{name}", s.deleteNode)
}

// verifiedLeaf is the client certificate the TLS handshake verified
// against the cluster CA, nil for a request without one.
func verifiedLeaf(r *http.Request) *x509.Certificate {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil
	}
	return r.TLS.VerifiedChains[0][0]
}

func readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, nodecreds.MaxRequestBytes+1))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("reading the request body: %w", err))
		return nil, false
	}
	return b, true
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	var in apitypes.TokenRequest
	if !decodeBody(w, r, &in) {
		return
	}
	ttl := nodecreds.DefaultTTL
	if in.TTL != "" {
		d, err := time.ParseDuration(in.TTL)
		if err != nil {
			writeErr(w, apierrors.New(apierrors.ReasonBadRequest, "ttl %q: %s (e.g. 24h, 30m; 0 never expires)", in.TTL, err))
			return
		}
		ttl = d
	}
	tok, rec, err := s.Credentials.CreateToken(ttl, in.Description)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := tokenOut(rec)
	out.Token = tok.String()
	writeJSON(w, http.StatusCreated, out)
}

func tokenOut(rec jointoken.Record) apitypes.Token {
	return apitypes.Token{ID: rec.ID, Description: rec.Description, Created: rec.Created, Expires: rec.Expires, Uses: rec.Uses, LastUsed: rec.LastUsed}
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) {
	recs, err := s.Credentials.ListTokens()
	if err != nil {
		writeErr(w, err)
		return
	}
	out := make([]apitypes.Token, 0, len(recs))
	for _, rec := range recs {
		out = append(out, tokenOut(rec))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request) {
	if err := s.Credentials.DeleteToken(r.PathValue("id")); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, apitypes.Ack{Status: "deleted"})
}

// join admits a node; the join token is its only credential (the route
// passes the middleware without an identity).
func (s *Server) join(w http.ResponseWriter, r *http.Request) {
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	// The token first: an unauthenticated caller learns nothing about
	// what a valid request looks like. Join checks it again, in the
	// transaction that counts its use.
	if err := s.Credentials.CheckToken(bearer); err != nil {
		writeErr(w, err)
		return
	}
	req, err := nodecreds.ParseJoinRequest(body)
	if err != nil {
		writeErr(w, err)
		return
	}
	out, err := s.Credentials.Join(bearer, req)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.log().Info("node joined", "node", req.Node, "addresses", req.IPs, "notAfter", out.NotAfter)
	writeJSON(w, http.StatusOK, out)
}

// renewCertificate issues a node a certificate for a new key; only the
// node itself, authenticated by its current certificate, may ask.
func (s *Server) renewCertificate(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	leaf := verifiedLeaf(r)
	if leaf == nil || pki.NodeName(leaf.Subject) == "" {
		writeErr(w, apierrors.New(apierrors.ReasonForbidden, "only node %q itself, with its client certificate, may renew its certificate", name))
		return
	}
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := nodecreds.ParseCertificateRequest(name, body)
	if err != nil {
		writeErr(w, err)
		return
	}
	out, err := s.Credentials.Renew(leaf, req)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.log().Info("node certificate renewed", "node", name, "notAfter", out.NotAfter)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteNode(w http.ResponseWriter, r *http.Request) {
	out, err := s.Credentials.DeleteNode(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	s.leases().Forget(out.Node) // no renewal of it left to flush
	s.log().Info("node deleted", "node", out.Node, "revoked", out.RevokedSerials, "pods", out.DeletedPods)
	writeJSON(w, http.StatusOK, out)
}
