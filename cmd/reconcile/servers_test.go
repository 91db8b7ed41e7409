package main

import (
	"strings"
	"testing"

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
