package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/metrics"
)

// Default metrics addresses (as controller-runtime's :8080 metrics port,
// on loopback: plain HTTP there, TLS and credentials beyond).
const (
	defaultControllerMetrics = "127.0.0.1:7421"
	defaultAgentMetrics      = "127.0.0.1:7422"
)

const metricsListenHelp = `address of the Prometheus /metrics endpoint ("" or "0" turns it off): plain HTTP on a loopback address; on any other address HTTPS with the cluster CA, answering only `

// registerControllerMetrics adds the controller's --metrics-listen.
func registerControllerMetrics(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVar(addr, "metrics-listen", defaultControllerMetrics, metricsListenHelp+
		"a client certificate or bearer token whose role may read /metrics (admin, deployer, viewer, or metrics: \"reconcile user create prometheus --role metrics\")")
}

// registerAgentMetrics adds the agent's metrics address: --metrics-listen
// for a lone agent, --agent-metrics-listen in `up` (whose controller has
// --metrics-listen).
func registerAgentMetrics(cmd *cobra.Command, addr *string, lone bool) {
	name := "metrics-listen"
	if !lone {
		name = "agent-metrics-listen"
	}
	cmd.Flags().StringVar(addr, name, defaultAgentMetrics, "the agent's "+metricsListenHelp+
		"a client certificate of the cluster CA whose role may read /metrics (admin, deployer, viewer, metrics); bearer tokens are checked by the controller only")
}

// metricsServer is an opened metrics endpoint, served by run.
type metricsServer struct {
	e   metrics.Endpoint
	ln  net.Listener
	reg *prometheus.Registry
}

// openMetrics checks and opens the endpoint (nil when it is off), so that
// a taken port fails the start rather than a goroutine later.
func openMetrics(addr, flag string, reg *prometheus.Registry, tlsConfig *tls.Config, guard func(http.Handler) http.Handler, log *slog.Logger) (*metricsServer, error) {
	e := metrics.Endpoint{Addr: addr, TLS: tlsConfig, Guard: guard, Flag: flag, Log: log}
	ln, err := e.Listen()
	if err != nil || ln == nil {
		return nil, err
	}
	return &metricsServer{e: e, ln: ln, reg: reg}, nil
}

// run serves until ctx ends (nothing for an endpoint that is off).
func (m *metricsServer) run(ctx context.Context) error {
	if m == nil {
		return nil
	}
	return metrics.ServeOn(ctx, m.e, m.ln, m.reg)
}

// agentMetricsFlag is the flag name of the agent's endpoint.
func agentMetricsFlag(lone bool) string {
	if lone {
		return "--metrics-listen"
	}
	return "--agent-metrics-listen"
}
