package join

import (
	"crypto/tls"
	"fmt"
)

// sessionCacheSize is how many TLS sessions a node keeps: one per server
// of the control plane is enough; a few more cover a renewal's overlap.
const sessionCacheSize = 16

// certSessions is the node's TLS session cache (session resumption, TLS
// 1.3 tickets): a reconnection after a dropped connection, a controller
// restart or an agent's extra connection resumes the session instead of a
// full handshake (two ECDSA signatures and the verification of the
// node's certificate: the server's cost that turned 5,000 nodes
// reconnecting at once into a handshake storm; BENCHMARKS.md, issue 13:
// 150,000 pods). A resumed session carries the identity of the handshake
// that made it, so sessions are kept per client certificate: after a
// renewal the next connection makes a full handshake with the new
// certificate rather than resume the old one's.
type certSessions struct {
	cache tls.ClientSessionCache
	cert  func() *tls.Certificate
}

func newCertSessions(cert func() *tls.Certificate) *certSessions {
	return &certSessions{cache: tls.NewLRUClientSessionCache(sessionCacheSize), cert: cert}
}

func (s *certSessions) key(server string) string { return fmt.Sprintf("%s|%p", server, s.cert()) }

func (s *certSessions) Get(server string) (*tls.ClientSessionState, bool) {
	return s.cache.Get(s.key(server))
}

func (s *certSessions) Put(server string, cs *tls.ClientSessionState) {
	s.cache.Put(s.key(server), cs)
}
