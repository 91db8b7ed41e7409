package apiserver

import (
	"net/http"

	"github.com/reconcile-dev/reconcile/reconcile/usercreds"
)

// People's credentials (issue 9, reconcile/usercreds). Served when
// Server.Users is set; all of them an admin's (the guard, authz).
//
//	POST   /api/v1/users          issue a credential: apitypes.UserRequest (a CSR, or token: true); the token is in the answer only
//	GET    /api/v1/users          list credentials: name, role, kind, serial, created, expires (never a secret)
//	DELETE /api/v1/users/{name}   delete a person: its tokens stop working, its certificates are revoked
func (s *Server) userRoutes(mux *http.ServeMux) {
	if s.Users == nil {
		return
	}
	mux.HandleFunc("POST /api/v1/users", s.createUser)
	mux.HandleFunc("GET /api/v1/users", s.listUsers)
	mux.HandleFunc("DELETE /api/v1/users/{name}", s.deleteUser)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	body, ok := readBody(w, r)
	if !ok {
		return
	}
	req, err := usercreds.ParseRequest(body)
	if err != nil {
		writeErr(w, err)
		return
	}
	out, err := s.Users.Create(req)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.log().Info("user credential issued", "user", out.Name, "role", out.Role, "kind", out.Kind, "serial", out.Serial, "notAfter", out.Expires, "by", identity(r).Name)
	writeJSON(w, http.StatusCreated, out)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	out, err := s.Users.List()
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	out, err := s.Users.Delete(r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	s.ClosePerson(out.Name) // its open watches and log streams end now
	s.log().Info("user deleted", "user", out.Name, "revoked", out.RevokedSerials, "tokens", out.DeletedTokens, "by", identity(r).Name)
	writeJSON(w, http.StatusOK, out)
}
