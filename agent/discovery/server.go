package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/miekg/dns"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// Server answers DNS queries for the cluster domain from an Index and
// forwards the rest to upstream resolvers.
type Server struct {
	// Upstreams are host:port resolvers for names outside the cluster
	// domain (Upstreams reads them from /etc/resolv.conf). None: SERVFAIL.
	Upstreams []string
	Log       *slog.Logger

	index atomic.Pointer[Index]
}

// NewServer returns a server answering from an empty index of domain.
func NewServer(domain string, upstreams []string, log *slog.Logger) *Server {
	if log == nil {
		log = slog.Default()
	}
	s := &Server{Upstreams: upstreams, Log: log}
	s.SetIndex(BuildIndex(domain, nil, nil))
	return s
}

// SetIndex replaces the records; queries in flight keep the old ones.
func (s *Server) SetIndex(ix *Index) { s.index.Store(ix) }

// Index returns the records the server answers from.
func (s *Server) Index() *Index { return s.index.Load() }

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	if len(req.Question) != 1 {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		w.WriteMsg(m)
		return
	}
	ix := s.index.Load()
	q := req.Question[0]
	if !ix.InDomain(q.Name) {
		w.WriteMsg(s.forward(w.RemoteAddr().Network(), req))
		return
	}
	w.WriteMsg(Answer(ix, req))
}

// Answer is the reply to a query for a name in the index's domain. It is
// pure.
func Answer(ix *Index, req *dns.Msg) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative = true
	q := req.Question[0]
	e, ok := ix.Lookup(q.Name)
	if !ok {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{soa(ix.Domain)}
		return m
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: q.Name, Rrtype: t, Class: dns.ClassINET, Ttl: TTL}
	}
	if q.Qtype == dns.TypeA || q.Qtype == dns.TypeANY {
		for _, ip := range e.A {
			m.Answer = append(m.Answer, &dns.A{Hdr: hdr(dns.TypeA), A: ip})
		}
	}
	if q.Qtype == dns.TypeSRV || q.Qtype == dns.TypeANY {
		weight := uint16(100)
		if n := len(e.SRV); n > 1 {
			weight = uint16(100 / n)
		}
		extra := map[string]bool{}
		for _, t := range e.SRV {
			m.Answer = append(m.Answer, &dns.SRV{Hdr: hdr(dns.TypeSRV), Priority: 0, Weight: weight, Port: t.Port, Target: t.Target})
			if te, ok := ix.Lookup(t.Target); ok && !extra[t.Target] {
				extra[t.Target] = true
				for _, ip := range te.A {
					m.Extra = append(m.Extra, &dns.A{Hdr: dns.RR_Header{Name: t.Target, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: TTL}, A: ip})
				}
			}
		}
	}
	if len(m.Answer) == 0 {
		m.Ns = []dns.RR{soa(ix.Domain)} // NODATA
	}
	return m
}

func soa(domain string) dns.RR {
	return &dns.SOA{Hdr: dns.RR_Header{Name: domain, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: TTL},
		Ns: "ns.dns." + domain, Mbox: "hostmaster." + domain, Serial: 1, Refresh: 7200, Retry: 1800, Expire: 86400, Minttl: TTL}
}

// forward asks the upstreams in turn, over the transport the client used
// (a truncated UDP answer makes the client retry over TCP, and so do we).
func (s *Server) forward(network string, req *dns.Msg) *dns.Msg {
	if network != "tcp" {
		network = "udp"
	}
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	var lastErr error
	for _, up := range s.Upstreams {
		resp, _, err := c.Exchange(req, up)
		if err == nil {
			return resp
		}
		lastErr = err
	}
	s.Log.Debug("dns: no upstream answered", "name", req.Question[0].Name, "upstreams", s.Upstreams, "err", lastErr)
	m := new(dns.Msg)
	m.SetRcode(req, dns.RcodeServerFailure)
	return m
}

// Upstreams reads the nameservers of a resolv.conf as host:port, leaving
// out exclude (the server's own address: forwarding to ourselves loops).
func Upstreams(resolvConf string, exclude ...string) ([]string, error) {
	cfg, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil {
		return nil, fmt.Errorf("reading the host's resolvers from %s: %w", resolvConf, err)
	}
	skip := map[string]bool{}
	for _, e := range exclude {
		skip[e] = true
	}
	var out []string
	for _, s := range cfg.Servers {
		if !skip[s] {
			out = append(out, net.JoinHostPort(s, cfg.Port))
		}
	}
	return out, nil
}

// ListenAndServe serves UDP and TCP on addr (host:port) until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	pc, ln, err := Listen(ctx, addr)
	if err != nil {
		return err
	}
	return s.Serve(ctx, pc, ln)
}

// Listen binds UDP and TCP on addr with IP_FREEBIND: the address may be a
// bridge gateway that exists only once the first pod has joined the network.
func Listen(ctx context.Context, addr string) (net.PacketConn, net.Listener, error) {
	lc := net.ListenConfig{Control: func(network, address string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_FREEBIND, 1)
		})
		return errors.Join(err, serr)
	}}
	pc, err := lc.ListenPacket(ctx, "udp", addr)
	if err != nil {
		return nil, nil, fmt.Errorf("dns: listening on udp %s: %w (is another DNS server, or another agent, using port 53 there?)", addr, err)
	}
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		pc.Close()
		return nil, nil, fmt.Errorf("dns: listening on tcp %s: %w (is another DNS server, or another agent, using port 53 there?)", addr, err)
	}
	return pc, ln, nil
}

// Serve serves on the given sockets until ctx ends, then closes them.
func (s *Server) Serve(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	udp := &dns.Server{PacketConn: pc, Handler: s}
	tcp := &dns.Server{Listener: ln, Handler: s}
	errs := make(chan error, 2)
	go func() { errs <- udp.ActivateAndServe() }()
	go func() { errs <- tcp.ActivateAndServe() }()
	s.Log.Info("dns server listening", "addr", pc.LocalAddr().String())
	select {
	case <-ctx.Done():
	case err := <-errs:
		udp.Shutdown()
		tcp.Shutdown()
		return fmt.Errorf("dns server on %s stopped: %w", pc.LocalAddr(), err)
	}
	udp.Shutdown()
	tcp.Shutdown()
	return nil
}

// Addr is the host:port the server listens on for a gateway address.
func Addr(gateway string) string { return net.JoinHostPort(gateway, strconv.Itoa(53)) }

// Run serves on addr until ctx ends. When the address cannot be bound (port
// 53 there is taken, e.g. by a second agent on the same host during tests)
// it logs once and keeps trying each second instead of failing the agent:
// pods then fall back to whatever answers there until the port is free.
func (s *Server) Run(ctx context.Context, addr string) {
	warned := false
	for ctx.Err() == nil {
		pc, ln, err := Listen(ctx, addr)
		if err != nil {
			if !warned {
				s.Log.Error("dns server cannot listen; retrying every second", "err", err)
				warned = true
			}
			ctxwait.Sleep(ctx, time.Second)
			continue
		}
		warned = false
		if err := s.Serve(ctx, pc, ln); err != nil {
			s.Log.Warn("dns server stopped; listening again", "err", err)
		}
	}
}
