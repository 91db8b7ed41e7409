package main

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/metrics/promkit"
)

// defaultControllerMetrics is the controller's metrics address (as
// controller-runtime's :8080 metrics port, on loopback: plain HTTP there,
// TLS and credentials beyond); the agent's is agentcmd's.
const defaultControllerMetrics = "127.0.0.1:7421"

// registerControllerMetrics adds the controller's --metrics-listen.
func registerControllerMetrics(cmd *cobra.Command, addr *string) {
	cmd.Flags().StringVar(addr, "metrics-listen", defaultControllerMetrics, promkit.ListenHelp+
		"a client certificate or bearer token whose role may read /metrics (admin, deployer, viewer, or metrics: \"reconcile user create prometheus --role metrics\")")
}

// metricsServer is an opened metrics endpoint (promkit.Server).
type metricsServer struct{ s *promkit.Server }

// openMetrics checks and opens the endpoint, so that a taken port fails
// the start rather than a goroutine later.
func openMetrics(addr, flag string, reg *prometheus.Registry, tlsConfig *tls.Config, guard func(http.Handler) http.Handler, log *slog.Logger) (*metricsServer, error) {
	s, err := promkit.Open(promkit.Endpoint{Addr: addr, TLS: tlsConfig, Guard: guard, Flag: flag, Log: log}, reg)
	return &metricsServer{s}, err
}

// run serves until ctx ends (nothing for an endpoint that is off).
func (m *metricsServer) run(ctx context.Context) error { return m.s.Run(ctx) }
