package controlplane

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// PromoteTimeout bounds how long a joined member waits to catch up
// before its promotion is given up (it stays a learner: restart to retry).
const PromoteTimeout = 5 * time.Minute

// Plane is a running server of a control plane.
type Plane struct {
	o       Options
	member  *etcdmember.Member // nil with an external etcd
	cli     *clientv3.Client
	elector *leader.Elector
	// external: the store is an etcd cluster run by others (External);
	// membership changes are theirs.
	external bool
}

// Start starts the member (after Bootstrap and the PKI), connects to it
// and makes the elector. It returns nil, nil when the controller runs no
// member (the single-server Badger store).
func Start(ctx context.Context, o Options, ca *pki.CA) (*Plane, error) {
	if !o.Enabled() {
		return nil, nil
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	mo := o.member(ca)
	js, err := readJoinState(o.Data)
	if err != nil {
		return nil, err
	}
	if js != nil && !etcdmember.HasMember(o.Data) && mo.Mode != etcdmember.ModeReset {
		mo.Mode, mo.InitialCluster = etcdmember.ModeJoin, js.InitialCluster
	}
	m, err := etcdmember.Start(ctx, mo)
	if err != nil {
		return nil, err
	}
	// A server restarted after its promotion votes already: promoting it
	// again would need the members it joined through, which may be the
	// ones that are down now.
	if js != nil && mo.Mode != etcdmember.ModeReset && m.IsLearner() {
		if urls := m.VoterClientURLs(); len(urls) > 0 {
			js.ClientURLs = urls // every voter known now, not only those of the join
		}
		if err := promote(ctx, &o, ca, js); err != nil {
			m.Close()
			return nil, err
		}
	}
	cli, err := m.Client()
	if err != nil {
		m.Close()
		return nil, err
	}
	p := &Plane{o: o, member: m, cli: cli}
	// cli reaches this server's member only, on every server: a leader
	// whose member is gone cannot write, so its lease may be revoked
	// (docs/internals.md "High availability", fast failover).
	p.elector = leader.New(leader.Options{Client: cli, Prefix: o.Prefix, Name: o.Name, TTL: o.TTL, Log: o.Log, Gone: MemberGone(cli)})
	return p, nil
}

// GoneProbeTimeout bounds each probe of a leader's member (MemberGone).
const GoneProbeTimeout = time.Second

// MemberGone is leader.Options.Gone of a server whose client cli talks to
// its own embedded member only: the leader named name is gone when its
// member (the same name) is (etcdmember.Gone).
func MemberGone(cli *clientv3.Client) func(ctx context.Context, name string) bool {
	return func(ctx context.Context, name string) bool {
		return etcdmember.Gone(ctx, cli, name, GoneProbeTimeout)
	}
}

// promote makes this server's learner a voter through the members that
// were started when it joined (a learner serves no writes itself).
func promote(ctx context.Context, o *Options, ca *pki.CA, js *joinState) error {
	id, err := strconv.ParseUint(js.MemberID, 16, 64)
	if err != nil {
		return fmt.Errorf("%s: member id %q: %w", JoinFile, js.MemberID, err)
	}
	cli, err := etcdmember.NewClient(js.ClientURLs, credentials.PKIDir(o.Data), ca)
	if err != nil {
		return err
	}
	defer cli.Close()
	pctx, cancel := context.WithTimeout(ctx, PromoteTimeout)
	defer cancel()
	err = etcdmember.PromoteWhenReady(pctx, func(ctx context.Context) error { return etcdmember.Promote(ctx, cli, id) }, time.Second)
	if err != nil {
		return fmt.Errorf("promoting this server's etcd member %s to a voting member: %w", js.MemberID, err)
	}
	o.Log.Info("etcd member promoted: this server votes", "name", o.Name, "member", js.MemberID)
	return nil
}

// External is a server of a control plane whose store is an etcd cluster
// run by others (`--store etcd --etcd-endpoints`): no member of its own,
// the same leader election over cli, which it does not close. name is
// this server's name in the election (the host name when empty).
func External(cli *clientv3.Client, o Options) (*Plane, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	p := &Plane{o: o, cli: cli, external: true}
	p.elector = leader.New(leader.Options{Client: cli, Prefix: o.Prefix, Name: o.Name, TTL: o.TTL, Log: o.Log})
	return p, nil
}

// Client is the etcd client of this server's member: the store's.
func (p *Plane) Client() *clientv3.Client { return p.cli }

// Elector is the leader election of this server.
func (p *Plane) Elector() *leader.Elector { return p.elector }

// Lead runs lead while this server leads (leader.Elector.Run) until ctx
// ends: the leader-only work gets a context that ends the moment the
// leadership is lost, and the fence its writes carry. With embedded
// members the leader also defragments them (etcdmember.RunDefrag) during
// its term; an external etcd's maintenance is its operators'.
func (p *Plane) Lead(ctx context.Context, lead func(ctx context.Context, f leader.Fence) error) error {
	if p.external {
		return p.elector.Run(ctx, lead)
	}
	return p.elector.Run(ctx, func(ctx context.Context, f leader.Fence) error {
		ctx, cancel := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			o := p.o.Defrag
			if o.Log == nil {
				o.Log = p.o.Log
			}
			etcdmember.RunDefrag(ctx, p.cli, o)
		}()
		defer func() { cancel(); <-done }()
		return lead(ctx, f)
	})
}

// Wait returns when ctx ends (nil) or the member stopped by itself (its
// error: removed from the cluster, its data unreadable…), which ends the
// controller.
func (p *Plane) Wait(ctx context.Context) error {
	if p.member == nil {
		<-ctx.Done()
		return nil
	}
	select {
	case <-ctx.Done():
		return nil
	case err := <-p.member.Err():
		return fmt.Errorf("etcd member %s stopped: %w (if it was removed with `reconcile server remove`, empty DATA/etcd and join again)", p.o.Name, err)
	}
}

// Close closes the client and stops the member.
func (p *Plane) Close() {
	if p.external {
		return // the store's client: its owner closes it
	}
	p.cli.Close()
	p.member.Close()
}

// ChangeTimeout bounds a membership change: without a quorum it fails
// with etcdmember.ErrNoQuorum instead of hanging.
const ChangeTimeout = 30 * time.Second

// JoinServer adds a joining server's learner (apiserver.ControlPlane).
func (p *Plane) JoinServer(ctx context.Context, req apitypes.ServerJoinRequest) (apitypes.ServerJoin, error) {
	if p.external {
		return apitypes.ServerJoin{}, apierrors.New(apierrors.ReasonBadRequest, "this control plane's store is an external etcd (--store etcd): start another controller with the same --store etcd flags instead of --join")
	}
	ctx, cancel := context.WithTimeout(ctx, ChangeTimeout)
	defer cancel()
	if err := CheckJoinRequest(req); err != nil {
		return apitypes.ServerJoin{}, err
	}
	files, err := readShared(p.o.Data)
	if err != nil {
		return apitypes.ServerJoin{}, err
	}
	info, err := etcdmember.AddLearner(ctx, p.cli, req.Name, req.PeerURL)
	if err != nil {
		return apitypes.ServerJoin{}, err
	}
	return apitypes.ServerJoin{MemberID: strconv.FormatUint(info.MemberID, 16), InitialCluster: info.InitialCluster, ClientURLs: info.ClientURLs, Files: files}, nil
}

// CheckJoinRequest checks a joining server's request (outside input): a
// DNS-1123 name, and a peer URL https://IP:PORT with nothing else.
func CheckJoinRequest(req apitypes.ServerJoinRequest) error {
	if err := credentials.CheckNodeName(req.Name); err != nil {
		return apierrors.New(apierrors.ReasonBadRequest, "server name: %s", err)
	}
	u, err := url.Parse(req.PeerURL)
	if err != nil || u.Scheme != "https" || u.Port() == "" || net.ParseIP(u.Hostname()) == nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return apierrors.New(apierrors.ReasonBadRequest, "peer URL %q: want https://IP:PORT (the address other servers reach the joining server's etcd member at)", req.PeerURL)
	}
	if p, err := strconv.Atoi(u.Port()); err != nil || p < 1 || p > 65535 {
		return apierrors.New(apierrors.ReasonBadRequest, "peer URL %q: port out of range", req.PeerURL)
	}
	return nil
}

// RemoveServer removes server name's member (apiserver.ControlPlane).
func (p *Plane) RemoveServer(ctx context.Context, name string) (apitypes.ServerRemoved, error) {
	if p.external {
		return apitypes.ServerRemoved{}, apierrors.New(apierrors.ReasonBadRequest, "the store is an external etcd (--store etcd): its members are managed with etcdctl, not `reconcile server remove`; a controller leaves by stopping")
	}
	ctx, cancel := context.WithTimeout(ctx, ChangeTimeout)
	defer cancel()
	id, err := etcdmember.Remove(ctx, p.cli, name, p.member.ID())
	if err != nil {
		return apitypes.ServerRemoved{}, err
	}
	return apitypes.ServerRemoved{Name: name, MemberID: strconv.FormatUint(id, 16)}, nil
}

// StatusTimeout bounds each member's status request.
const StatusTimeout = 3 * time.Second

// Servers is the store, the controller leader and the members
// (apiserver.ControlPlane); it answers without a quorum, saying so.
func (p *Plane) Servers(ctx context.Context) apitypes.Servers {
	out := apitypes.Servers{Store: "etcd (embedded)"}
	if p.external {
		out.Store = "etcd (external)"
	}
	members, err := etcdmember.Status(ctx, p.cli, StatusTimeout)
	if err != nil {
		out.Error = err.Error()
	}
	for _, m := range members {
		out.Members = append(out.Members, apitypes.ServerMember(m))
	}
	lctx, cancel := context.WithTimeout(ctx, StatusTimeout)
	defer cancel()
	name, _, err := leader.Current(lctx, p.cli, p.o.Prefix)
	switch {
	case err != nil:
		out.Error = strings.TrimPrefix(out.Error+"; ", "; ") + "controller leader: " + etcdmember.Explain(err).Error()
	default:
		out.Leader = name
	}
	return out
}

// NotLeader is nil while this server leads, else a ServiceUnavailable
// naming the leader: what the API answers a request only the leader can
// carry out (a sync, a rollback, a webhook) on another server.
func (p *Plane) NotLeader(ctx context.Context) error {
	if p.elector.IsLeader() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, StatusTimeout)
	defer cancel()
	name, _, err := leader.Current(ctx, p.cli, p.o.Prefix)
	switch {
	case err != nil:
		return apierrors.New(apierrors.ReasonServiceUnavailable, "server %s does not lead the control plane and cannot tell which does (%v): git sync, rollback and resume run on the leader", p.o.Name, etcdmember.Explain(err))
	case name == "":
		return apierrors.New(apierrors.ReasonServiceUnavailable, "no server leads the control plane now (an election is under way, or no quorum): git sync, rollback and resume run on the leader; try again in a few seconds")
	case name == p.o.Name:
		// The election names this server but its term has not started
		// yet (or has just ended): a moment, not another server.
		return apierrors.New(apierrors.ReasonServiceUnavailable, "server %s is taking over (or handing over) the lead of the control plane now: git sync, rollback and resume run on the leader; try again in a few seconds", p.o.Name)
	}
	where := name
	if host := etcdmember.Host(ctx, p.cli, name); host != "" {
		where = fmt.Sprintf("%s (at %s)", name, host)
	}
	return apierrors.New(apierrors.ReasonServiceUnavailable, "server %s does not lead the control plane; %s does: git sync, rollback and resume run there (send the request to %s's API, or give the CLI every server's URL, --server https://a:7420,https://b:7420,…, and it finds the leader; or wait: the leader polls its sources)", p.o.Name, where, name)
}
