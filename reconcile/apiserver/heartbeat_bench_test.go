package apiserver

import (
	"context"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// BenchmarkHeartbeat is one node's heartbeat (a lease renewal) over its kept-alive TLS
// connection (its node certificate) against the API server on a real
// store on disk, without the controllers: the API-and-store part of what
// a heartbeat costs the controller (cmd/reconcile's
// BenchmarkHeartbeats1000 measures the whole controller process).
func BenchmarkHeartbeat(b *testing.B) {
	st, err := store.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	server, p := serveTLS(b, st, "tok")
	cfg, err := p.NodeConfig(server, "n1", nil)
	if err != nil {
		b.Fatal(err)
	}
	tc, err := cfg.TLSConfig()
	if err != nil {
		b.Fatal(err)
	}
	cp := apiclient.ControlPlane{Client: apiclient.NewTLS(server, "", tc)}
	ctx := context.Background()
	if err := cp.RegisterNode(ctx, agent.NodeObject("n1", agent.HostInfo{CPUs: 2, MemoryBytes: 1 << 30}, "bench", time.Now())); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := cp.Heartbeat(ctx, "n1"); err != nil {
			b.Fatal(err)
		}
	}
}
