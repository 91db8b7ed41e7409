package agentcmd

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/ingress"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// ingressFlags configure the node's built-in ingress proxy (agent/ingress).
type ingressFlags struct{ httpPort, httpsPort int }

func (f *ingressFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.IntVar(&f.httpPort, "ingress-http-port", 80, "port of this node's ingress proxy for plain HTTP: Ingresses of class reconcile.dev/ingress (and those naming no class) answer here (0: no ingress proxy on HTTP)")
	fl.IntVar(&f.httpsPort, "ingress-https-port", 443, "port of this node's ingress proxy for HTTPS (HTTP/2 and HTTP/1.1, certificates from the Ingresses' kubernetes.io/tls Secrets by SNI; 0: none)")
}

// startIngress runs the ingress proxy until ctx ends or stop is called;
// stop waits for its servers to shut down.
func startIngress(ctx context.Context, f ingressFlags, cp agent.ControlPlane, log *slog.Logger) (stop func(), err error) {
	if f.httpPort == 0 && f.httpsPort == 0 {
		return func() {}, nil
	}
	for flag, p := range map[string]int{"--ingress-http-port": f.httpPort, "--ingress-https-port": f.httpsPort} {
		if p < 0 || p > 65535 {
			return nil, fmt.Errorf("%s %d: a port is 1-65535 (0 disables)", flag, p)
		}
	}
	acp, ok := cp.(apiclient.ControlPlane)
	if !ok {
		return nil, fmt.Errorf("ingress proxy: needs the HTTP control plane (got %T); pass --ingress-http-port=0 --ingress-https-port=0 to run without it", cp)
	}
	srv, err := ingress.NewServer(log.With("component", "ingress"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	src := &ingress.CacheSource{Cache: apiclient.NewKindCache(ctx, acp.Client, true, ingress.Kinds...), Get: acp.Client.GetRevealed}
	done := make(chan struct{}, 2)
	go func() { srv.Follow(ctx, src, nil); done <- struct{}{} }()
	go func() { srv.Listen(ctx, f.httpPort, f.httpsPort); done <- struct{}{} }()
	return func() { cancel(); <-done; <-done }, nil
}
