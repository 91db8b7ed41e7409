package apiserver

import (
	"context"
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

// ControlPlane is the control plane of several servers (package
// reconcile/controlplane over embedded etcd members and the leader
// election).
type ControlPlane interface {
	// JoinServer adds a joining server's etcd member (a learner) and
	// answers what it starts with.
	JoinServer(ctx context.Context, req apitypes.ServerJoinRequest) (apitypes.ServerJoin, error)
	// Servers is the store, the leader and the members.
	Servers(ctx context.Context) apitypes.Servers
	// RemoveServer removes server name's member.
	RemoveServer(ctx context.Context, name string) (apitypes.ServerRemoved, error)
}

// The control plane's servers (issue 12):
//
//	GET    /api/v1/servers          the store, the controller leader, the etcd members and their health (everyone but nodes)
//	POST   /api/v1/servers/join     a server joins: a server join token as bearer, apitypes.ServerJoinRequest
//	DELETE /api/v1/servers/{name}   remove a server's etcd member (admin)
func (s *Server) serverRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/servers", s.servers)
	mux.HandleFunc("POST /api/v1/servers/join", s.joinServer)
	mux.HandleFunc("DELETE /api/v1/servers/{name}", s.removeServer)
}

// SingleServer is the store of a controller without a ControlPlane.
const SingleServer = "badger (single server)"

func (s *Server) servers(w http.ResponseWriter, r *http.Request) {
	if s.ControlPlane == nil {
		writeJSON(w, http.StatusOK, apitypes.Servers{Store: SingleServer})
		return
	}
	writeJSON(w, http.StatusOK, s.ControlPlane.Servers(r.Context()))
}

func errSingleServer() error {
	return apierrors.New(apierrors.ReasonConflict, "this controller runs the single-server Badger store: it has no etcd members to join or remove; start the first server of a control plane with `reconcile controller --cluster-init`")
}

// joinServer admits a server; a server join token is its only credential
// (the route passes the guard without an identity), checked and counted
// before the body is read.
func (s *Server) joinServer(w http.ResponseWriter, r *http.Request) {
	if s.Credentials == nil {
		writeErr(w, apierrors.New(apierrors.ReasonNotFound, "this controller does not admit servers"))
		return
	}
	bearer, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if err := s.Credentials.UseServerToken(bearer); err != nil {
		writeErr(w, err)
		return
	}
	if s.ControlPlane == nil {
		writeErr(w, errSingleServer())
		return
	}
	var in apitypes.ServerJoinRequest
	if !decodeBody(w, r, &in) {
		return
	}
	out, err := s.ControlPlane.JoinServer(r.Context(), in)
	if err != nil {
		writeErr(w, err)
		return
	}
	s.log().Info("server joined: etcd member added as a learner", "server", in.Name, "peer", in.PeerURL, "member", out.MemberID)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) removeServer(w http.ResponseWriter, r *http.Request) {
	if s.ControlPlane == nil {
		writeErr(w, errSingleServer())
		return
	}
	out, err := s.ControlPlane.RemoveServer(r.Context(), r.PathValue("name"))
	if err != nil {
		writeErr(w, err)
		return
	}
	s.log().Info("server removed: etcd member removed", "server", out.Name, "member", out.MemberID)
	writeJSON(w, http.StatusOK, out)
}
