package main

import (
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// The control plane block of `reconcile status`: a single server, three
// healthy members, and a cluster that lost its quorum.
func TestServersTable(t *testing.T) {
	var b strings.Builder
	for _, s := range []apitypes.Servers{
		{Store: "badger (single server)"},
		{Store: "etcd (embedded)", Leader: "server-2", Members: []apitypes.ServerMember{
			{Name: "server-1", PeerURL: "https://10.0.0.1:7421", ClientURL: "https://10.0.0.1:7422", Healthy: true, DBSize: 20480, RaftIndex: 1042},
			{Name: "server-2", PeerURL: "https://10.0.0.2:7421", ClientURL: "https://10.0.0.2:7422", Leader: true, Healthy: true, DBSize: 3 << 20, RaftIndex: 1042},
			{Name: "server-3", PeerURL: "https://10.0.0.3:7421", ClientURL: "https://10.0.0.3:7422", Learner: true, Healthy: true, DBSize: 20480, RaftIndex: 1040},
		}},
		{Store: "etcd (embedded)", Error: "controller leader: the etcd cluster has no quorum", Members: []apitypes.ServerMember{
			{Name: "server-1", PeerURL: "https://10.0.0.1:7421", ClientURL: "https://10.0.0.1:7422", Error: "no leader: the etcd cluster has no quorum", DBSize: 20480, RaftIndex: 1050},
			{Name: "server-2", PeerURL: "https://10.0.0.2:7421", ClientURL: "https://10.0.0.2:7422", Error: "context deadline exceeded"},
		}},
	} {
		printServers(&b, s)
		b.WriteString("---\n")
	}
	testkit.GoldenString(t, "testdata/servers-table.golden", b.String())
}

// `reconcile status -o json`: the sources and the servers block (members,
// controller leader, health, DB size and in use, raft index) under stable
// field names; without a servers route (an older server) no servers key,
// and no sources is an empty list, not null.
func TestStatusJSON(t *testing.T) {
	var b strings.Builder
	at := time.Date(2026, 12, 7, 20, 0, 0, 0, time.UTC)
	src := apitypes.SourceStatus{SourceStatus: reconcile.SourceStatus{Name: "apps", LastAppliedCommit: "0123456789abcdef0123456789abcdef01234567", LastAppliedAt: at, URL: "https://git.example.com/apps.git", Ref: "main"}}
	for _, rep := range []apitypes.StatusReport{
		{Sources: []apitypes.SourceStatus{src}, Servers: &apitypes.Servers{Store: "etcd (embedded)", Leader: "server-2", Members: []apitypes.ServerMember{
			{Name: "server-1", ID: "8e9e05c52164694d", PeerURL: "https://10.0.0.1:7421", ClientURL: "https://10.0.0.1:7422", Healthy: true, DBSize: 20480, DBSizeInUse: 16384, RaftIndex: 1042},
			{Name: "server-2", ID: "91bc3c398fb3c146", PeerURL: "https://10.0.0.2:7421", ClientURL: "https://10.0.0.2:7422", Leader: true, Healthy: true, DBSize: 3 << 20, DBSizeInUse: 1 << 20, RaftIndex: 1042},
			{Name: "server-3", ID: "fd422379fda50e48", PeerURL: "https://10.0.0.3:7421", ClientURL: "https://10.0.0.3:7422", Error: "context deadline exceeded"},
		}}},
		{Servers: &apitypes.Servers{Store: "badger (single server)"}},
		{Sources: []apitypes.SourceStatus{src}},
	} {
		if err := writeStatusJSON(&b, rep); err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
	}
	testkit.GoldenString(t, "testdata/status-json.golden", b.String())
}
