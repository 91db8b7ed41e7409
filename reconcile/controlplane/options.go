package controlplane

import (
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Options are the controller's control plane flags.
type Options struct {
	Data         string
	Name         string // --server-name; the host name when empty
	ClusterInit  bool   // --cluster-init
	ClusterReset bool   // --cluster-reset
	Join, Token  string // --join URL --token TOKEN (a server token)
	// Advertise is --etcd-advertise-address; DefaultAdvertise(Listen) when empty.
	Advertise            string
	Listen               string // the API's --listen
	PeerPort, ClientPort int
	Prefix               string        // the store's key prefix (leader.DefaultPrefix when empty)
	TTL                  time.Duration // the leader's lease (leader.DefaultTTL when 0)
	ReadyTimeout         time.Duration // etcdmember.DefaultReadyTimeout when 0
	Log                  *slog.Logger
	// Defrag: how the leader defragments the embedded members (Lead;
	// the zero value takes etcdmember's defaults; none on an external etcd).
	Defrag etcdmember.DefragOptions
}

// Enabled says whether the controller runs an etcd member: one of the
// flags, or a data directory that already holds a member.
func (o *Options) Enabled() bool {
	return o.ClusterInit || o.ClusterReset || o.Join != "" || etcdmember.HasMember(o.Data)
}

func (o *Options) defaults() error {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Prefix == "" {
		o.Prefix = leader.DefaultPrefix
	}
	if o.Name == "" {
		h, err := os.Hostname()
		if err != nil || h == "" {
			return fmt.Errorf("control plane: no --server-name and no host name (%v)", err)
		}
		o.Name = h
	}
	if o.PeerPort == 0 {
		o.PeerPort = etcdmember.DefaultPeerPort
	}
	if o.ClientPort == 0 {
		o.ClientPort = etcdmember.DefaultClientPort
	}
	if o.Advertise == "" {
		o.Advertise = DefaultAdvertise(o.Listen)
	}
	n := 0
	for _, b := range []bool{o.ClusterInit, o.ClusterReset, o.Join != ""} {
		if b {
			n++
		}
	}
	if o.TTL != 0 && o.TTL < 3*time.Second {
		return fmt.Errorf("--leader-elect-lease-duration %s: at least 3s (a leader stops 2 s before its lease could expire)", o.TTL)
	}
	if n > 1 {
		return fmt.Errorf("--cluster-init, --cluster-reset and --join exclude each other: --cluster-init starts a new control plane, --join adds this server to one, --cluster-reset makes this server's member a one-member cluster after a lost quorum")
	}
	if o.Join != "" && o.Token == "" {
		return fmt.Errorf("--join %s needs --token: a server token from `reconcile token create --control-plane` on a running server", o.Join)
	}
	return nil
}

// DefaultAdvertise is the address other servers reach this one's etcd
// member at: the API's listen address when it is a specific one, else the
// machine's first non-loopback IPv4 address, else 127.0.0.1 (one host).
func DefaultAdvertise(listen string) string {
	_, ips := pki.ServingNames(listen, nil)
	var v6 string
	for _, ip := range ips {
		switch {
		case ip.IsLoopback():
		case ip.To4() != nil:
			return ip.String()
		case v6 == "":
			v6 = ip.String()
		}
	}
	if v6 != "" {
		return v6
	}
	return net.IPv4(127, 0, 0, 1).String()
}

func (o *Options) member(ca *pki.CA) etcdmember.Options {
	mode := etcdmember.ModeRestart
	switch {
	case o.ClusterReset:
		mode = etcdmember.ModeReset
	case o.ClusterInit:
		mode = etcdmember.ModeInit
	}
	return etcdmember.Options{Name: o.Name, Data: o.Data, CA: ca, Advertise: o.Advertise, PeerPort: o.PeerPort, ClientPort: o.ClientPort,
		Mode: mode, ReadyTimeout: o.ReadyTimeout, Log: o.Log}
}
