package etcdmember

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Default ports: the API is 7420, so etcd's peer and client listeners sit
// next to it (etcd's own 2380/2379 stay free for an etcd on the same host).
const (
	DefaultPeerPort   = 7421
	DefaultClientPort = 7422
	// DefaultReadyTimeout is how long a member waits for its cluster's
	// quorum before refusing to start.
	DefaultReadyTimeout = 60 * time.Second
)

// Mode says how a member with an empty data directory starts.
type Mode int

const (
	// ModeRestart: the data directory must already hold a member.
	ModeRestart Mode = iota
	// ModeInit: a new cluster of this one member (--cluster-init).
	ModeInit
	// ModeJoin: a member added by an existing server (--join).
	ModeJoin
	// ModeReset: this member's data as a new one-member cluster
	// (--cluster-reset), after a lost quorum.
	ModeReset
)

// Options configure a member.
type Options struct {
	Name string // the member's name: the server's (unique in the cluster)
	Data string // the controller's data directory: the member in Data/etcd, certificates in Data/pki
	CA   *pki.CA
	// Advertise is the address other servers reach this one at (an IP).
	Advertise  string
	PeerPort   int // DefaultPeerPort when 0
	ClientPort int // DefaultClientPort when 0
	Mode       Mode
	// InitialCluster is the join's "name=peerURL,…" (ModeJoin only).
	InitialCluster string
	ReadyTimeout   time.Duration // DefaultReadyTimeout when 0
	Log            *slog.Logger
	Now            func() time.Time
}

func (o *Options) defaults() error {
	if o.Name == "" {
		return fmt.Errorf("etcd member: no name (give the server a name with --server-name)")
	}
	if o.CA == nil {
		return fmt.Errorf("etcd member %s: no cluster CA", o.Name)
	}
	if net.ParseIP(o.Advertise) == nil {
		return fmt.Errorf("etcd member %s: advertise address %q is not an IP address: give the address other servers reach this one at (--etcd-advertise-address)", o.Name, o.Advertise)
	}
	if o.PeerPort == 0 {
		o.PeerPort = DefaultPeerPort
	}
	if o.ClientPort == 0 {
		o.ClientPort = DefaultClientPort
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = DefaultReadyTimeout
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return nil
}

// Dir is the member's data directory inside the controller's.
func Dir(data string) string { return filepath.Join(data, "etcd") }

func httpsURL(host string, port int) url.URL {
	return url.URL{Scheme: "https", Host: net.JoinHostPort(host, strconv.Itoa(port))}
}

func (o *Options) peerURL() url.URL   { return httpsURL(o.Advertise, o.PeerPort) }
func (o *Options) clientURL() url.URL { return httpsURL(o.Advertise, o.ClientPort) }

// PeerURL is the URL other members reach this one's peer listener at.
func (o *Options) PeerURL() string { u := o.peerURL(); return u.String() }

// ClientURL is this member's advertised client URL.
func (o *Options) ClientURL() string { u := o.clientURL(); return u.String() }

// LocalClientURL is the client URL the controller itself dials: loopback
// whenever the member listens there.
func (o *Options) LocalClientURL() string {
	u := httpsURL("127.0.0.1", o.ClientPort)
	if net.ParseIP(o.Advertise).IsLoopback() {
		u = o.clientURL()
	}
	return u.String()
}

// clientListen: the advertised address and loopback (as k3s: the
// controller talks to its own member over 127.0.0.1).
func (o *Options) clientListen() []url.URL {
	out := []url.URL{o.clientURL()}
	if !net.ParseIP(o.Advertise).IsLoopback() {
		out = append(out, httpsURL("127.0.0.1", o.ClientPort))
	}
	return out
}
