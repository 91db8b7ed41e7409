package apiserver

import (
	"context"
	"log/slog"
	"math/big"
	"net/http"
	"sync"

	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// revocable keeps the cancel function of every request made with a node's
// certificate, or by a person (certificate or token), so that CloseNode and
// ClosePerson end their open watches and log streams when the node or
// person is deleted. (The guard refuses a revoked certificate or a deleted
// person's token on every request, not only at the handshake, so a
// kept-alive connection is refused too.)
//
// Only the long-running requests (longRunning: watches, followed logs) are
// kept: a short one ends within the server's timeouts anyway, and keeping
// each heartbeat's cancel function cost a context and two locked map
// writes per request (BENCHMARKS.md, issue 13: heartbeats, round 3).
func (s *Server) revocable(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !longRunning(r) {
			next.ServeHTTP(w, r)
			return
		}
		key, serial := streamKey(r)
		if key == "" {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithCancel(r.Context())
		id := s.streams.add(key, serial, cancel)
		defer s.streams.remove(key, id)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// personKey is the streams' key of person name: node names (DNS-1123)
// have no "/", so no node's key is a person's.
func personKey(name string) string { return "user/" + name }

// streamKey says whose r is: a node's name and its certificate's serial,
// personKey for a person (the guard's identity), "" for others (the admin
// token, exempt routes).
func streamKey(r *http.Request) (string, *big.Int) {
	if leaf := verifiedLeaf(r); leaf != nil {
		if node := pki.NodeName(leaf.Subject); node != "" {
			return node, leaf.SerialNumber
		}
	}
	id, ok := authz.IdentityFrom(r.Context())
	if !ok || id.Role == authz.RoleNode || id.Name == authz.TokenUser {
		return "", nil
	}
	return personKey(id.Name), nil
}

// ClosePerson ends every request in flight of person name, made with any
// of its credentials (after `user delete`).
func (s *Server) ClosePerson(name string) {
	for _, c := range s.streams.of(personKey(name)) {
		c.cancel()
	}
}

// CloseNode ends every request in flight made with a certificate of node
// whose serial is now revoked (nodecreds.Issuer.OnRevoke calls it after a
// node is deleted).
func (s *Server) CloseNode(node string) {
	for _, c := range s.streams.of(node) {
		if s.Revoked != nil && s.Revoked(c.serial) {
			c.cancel()
		}
	}
}

type streamEntry struct {
	serial *big.Int
	cancel context.CancelFunc
}

// streamSet holds the in-flight requests of node certificates.
type streamSet struct {
	mu     sync.Mutex
	next   uint64
	byNode map[string]map[uint64]streamEntry
}

func (ss *streamSet) add(node string, serial *big.Int, cancel context.CancelFunc) uint64 {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.byNode == nil {
		ss.byNode = map[string]map[uint64]streamEntry{}
	}
	if ss.byNode[node] == nil {
		ss.byNode[node] = map[uint64]streamEntry{}
	}
	ss.next++
	ss.byNode[node][ss.next] = streamEntry{serial, cancel}
	return ss.next
}

func (ss *streamSet) remove(node string, id uint64) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.byNode[node], id)
	if len(ss.byNode[node]) == 0 {
		delete(ss.byNode, node)
	}
}

func (ss *streamSet) of(node string) []streamEntry {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	out := make([]streamEntry, 0, len(ss.byNode[node]))
	for _, e := range ss.byNode[node] {
		out = append(out, e)
	}
	return out
}

func (s *Server) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

// OpenRequests is how many requests made with node's certificates are in
// flight (watches, long polls): for tests and diagnostics.
func (s *Server) OpenRequests(node string) int { return len(s.streams.of(node)) }

// OpenPersonRequests is OpenRequests for person name.
func (s *Server) OpenPersonRequests(name string) int { return len(s.streams.of(personKey(name))) }
