package etcdmember

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"

	"github.com/reconcile-dev/reconcile/reconcile/credentials"
)

// Member is a running embedded etcd member.
type Member struct {
	opts Options
	etcd *embed.Etcd
}

// HasMember says whether data already holds an etcd member (a restart).
func HasMember(data string) bool {
	_, err := os.Stat(filepath.Join(Dir(data), "member"))
	return err == nil
}

// Start starts the member and waits until it serves with its cluster's
// quorum (or ReadyTimeout: *QuorumLostError, the member stopped).
func Start(ctx context.Context, o Options) (*Member, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	pkiDir := credentials.PKIDir(o.Data)
	if err := ensureCerts(&o, pkiDir); err != nil {
		return nil, err
	}
	cfg, err := config(&o, pkiDir)
	if err != nil {
		return nil, err
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("etcd member %s (peer %s, client %s, data %s): %w", o.Name, o.PeerURL(), o.ClientURL(), cfg.Dir, err)
	}
	m := &Member{opts: o, etcd: e}
	t := time.NewTimer(o.ReadyTimeout)
	defer t.Stop()
	select {
	case <-e.Server.ReadyNotify():
		o.Log.Info("etcd member ready", "name", o.Name, "id", fmt.Sprintf("%x", uint64(e.Server.MemberID())), "peer", o.PeerURL(), "client", o.ClientURL())
		return m, nil
	case err := <-e.Err():
		abort(e)
		return nil, fmt.Errorf("etcd member %s: %w", o.Name, err)
	case <-ctx.Done():
		abort(e)
		return nil, ctx.Err()
	case <-t.C:
		qerr := quorumLost(ctx, &o, e)
		abort(e)
		return nil, qerr
	}
}

// abort stops a member that never became ready: the server first, so
// that embed's client listeners (which wait for readiness or the server's
// stop) let Close return.
func abort(e *embed.Etcd) {
	e.Server.HardStop()
	e.Close()
}

// config is the embed configuration of o.
func config(o *Options, pkiDir string) (*embed.Config, error) {
	cfg := embed.NewConfig()
	cfg.Name = o.Name
	cfg.Dir = Dir(o.Data)
	lg, err := zapLogger()
	if err != nil {
		return nil, err
	}
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(lg)
	cfg.ListenPeerUrls = []url.URL{o.peerURL()}
	cfg.AdvertisePeerUrls = []url.URL{o.peerURL()}
	cfg.ListenClientUrls = o.clientListen()
	cfg.AdvertiseClientUrls = []url.URL{o.clientURL()}
	cfg.PeerTLSInfo = tlsInfo(pkiDir, peerFile, PeerCN)
	cfg.ClientTLSInfo = tlsInfo(pkiDir, serverFile, ClientCN, ServerCN)
	cfg.EnableGRPCGateway = false // the controller speaks gRPC only; no JSON gateway on the port
	cfg.PreVote = true
	// Revisions: the store compacts what it no longer needs; etcd keeps an
	// hour as a bound (k3s compacts every 5 min).
	cfg.AutoCompactionMode = embed.CompactorModePeriodic
	cfg.AutoCompactionRetention = "1h"
	cfg.InitialClusterToken = "reconcile"
	restart := HasMember(o.Data)
	switch {
	case o.Mode == ModeReset:
		if !restart {
			return nil, fmt.Errorf("--cluster-reset: %s holds no etcd member to reset; restore a snapshot into the data directory first, or start with --cluster-init", cfg.Dir)
		}
		cfg.ForceNewCluster = true
		cfg.InitialCluster = cfg.InitialClusterFromName(o.Name)
	case restart:
		// The member's own records name its cluster; etcd reads the
		// initial cluster only to check it names this member.
		cfg.InitialCluster = o.Name + "=" + o.PeerURL()
		cfg.ClusterState = embed.ClusterStateFlagExisting
	case o.Mode == ModeInit:
		cfg.InitialCluster = o.Name + "=" + o.PeerURL()
		cfg.ClusterState = embed.ClusterStateFlagNew
	case o.Mode == ModeJoin:
		if o.InitialCluster == "" {
			return nil, fmt.Errorf("etcd member %s: joining without the initial cluster from an existing server", o.Name)
		}
		cfg.InitialCluster = o.InitialCluster
		cfg.ClusterState = embed.ClusterStateFlagExisting
	default:
		return nil, fmt.Errorf("etcd member %s: %s holds no member: start the first server with --cluster-init, or join one with --join https://SERVER:7420 --token TOKEN", o.Name, cfg.Dir)
	}
	return cfg, nil
}

// zapLogger is etcd's logger: errors only (a lost quorum logs warnings
// many times a second), one line each, no stack traces.
func zapLogger() (*zap.Logger, error) {
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	zc.DisableStacktrace = true
	zc.Sampling = nil
	return zc.Build()
}

// Name is the member's name.
func (m *Member) Name() string { return m.opts.Name }

// ID is the member's etcd ID.
func (m *Member) ID() uint64 { return uint64(m.etcd.Server.MemberID()) }

// IsLearner reports whether this member is still a raft learner (joined,
// not promoted), as the membership applied on it says: a server restarted
// after its promotion has nothing to promote.
func (m *Member) IsLearner() bool { return m.etcd.Server.IsLearner() }

// VoterClientURLs are the client URLs of the other voting members as this
// member knows them: where a promotion can be asked (a learner serves no
// membership changes), whichever of them are up now.
func (m *Member) VoterClientURLs() []string {
	var out []string
	for _, mm := range m.etcd.Server.Cluster().Members() {
		if !mm.IsLearner && uint64(mm.ID) != m.ID() {
			out = append(out, mm.ClientURLs...)
		}
	}
	return out
}

// ClientURL is the client URL the controller dials.
func (m *Member) ClientURL() string { return m.opts.LocalClientURL() }

// Client is an etcd client of this member over mTLS with the controller's
// client certificate; the caller closes it.
func (m *Member) Client() (*clientv3.Client, error) {
	return NewClient([]string{m.ClientURL()}, credentials.PKIDir(m.opts.Data), m.opts.CA)
}

// Done is closed when the member stopped by itself (its error on Err).
func (m *Member) Err() <-chan error { return m.etcd.Err() }

// Close stops the member (gracefully: it hands leadership over first).
func (m *Member) Close() {
	m.etcd.Close()
}
