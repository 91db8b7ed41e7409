package agentcmd

import (
	"crypto/tls"
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
)

// logFlags configure the agent's log server, which the controller proxies
// `reconcile logs` to.
type logFlags struct {
	listen string
	tls    *tls.Config // the node's certificate, only the controller's accepted (credentials.AgentLogTLS)
}

func (f *logFlags) register(cmd *cobra.Command, lone bool) {
	// `up` picks a free loopback port; a lone agent uses the kubelet's port.
	def := "127.0.0.1:0"
	if lone {
		def = "127.0.0.1:10250"
	}
	cmd.Flags().StringVar(&f.listen, "listen-logs", def,
		"address of the agent's log server for `reconcile logs` (TLS with the node's certificate; only the controller's certificate is accepted); the controller must reach it (\"\" turns it off)")
}

// apply opens the log listener and hands it to the agent's options.
func (f *logFlags) apply(opts *agent.Options) error {
	if f.listen == "" {
		return nil
	}
	if f.tls == nil {
		return fmt.Errorf("--listen-logs %s: the log server needs the node's certificate (a client config from `reconcile node credentials` or `reconcile join`); pass --listen-logs \"\" to serve no logs", f.listen)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("agent log server: listen on %s: %w (is another agent running here? pick another --listen-logs)", f.listen, err)
	}
	opts.LogListener = ln
	// Like the controller's API: TLS on every address, loopback included
	// (logs may say what a local user must not read); only the controller's
	// client certificate is accepted.
	opts.LogTLS = f.tls
	return nil
}
