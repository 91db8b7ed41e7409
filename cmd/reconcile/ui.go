package main

import (
	"fmt"
	"net"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/webui"
)

func newUICmd(g *globalFlags) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "ui",
		Short: "Serve the web UI on loopback, acting with your own credentials (as kubectl proxy)",
		Long: `Serve the controller's web UI on a loopback address and print its URL. Every request goes
to the controller with this CLI's credentials (the client config's client certificate or token),
so the browser needs no login and sees what your role may see: a viewer gets no rollback button.

The proxy answers only loopback host names and refuses state-changing requests from other sites,
since it acts in your name. The controller serves the same UI at / on its own address, with a
token login page.`,
		Example: `  reconcile ui
  reconcile ui --listen 127.0.0.1:8080`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !apiserver.IsLoopback(listen) {
				return fmt.Errorf("--listen %s: the UI proxy acts with your credentials, so it listens on loopback only (e.g. 127.0.0.1:7480)", listen)
			}
			cfg, err := connection(g.configFile, g.server, g.tokenFile)
			if err != nil {
				return err
			}
			tc, err := cfg.TLSConfig()
			if err != nil {
				return err
			}
			server, err := url.Parse(cfg.Server())
			if err != nil {
				return fmt.Errorf("server URL %q: %w", cfg.Server(), err)
			}
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listen on %s: %w (use --listen to pick another address)", listen, err)
			}
			p := &webui.Proxy{Server: server, Token: cfg.Token, TLS: tc}
			fmt.Fprintf(cmd.OutOrStdout(), "Serving the web UI of %s at http://%s/ (Ctrl-C to stop)\n", server, ln.Addr())
			return p.Serve(cmd.Context(), ln)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:7480", "loopback address to serve the UI on")
	return cmd
}
