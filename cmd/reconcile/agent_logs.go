package main

import (
	"fmt"
	"net"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
)

// logFlags configure the agent's log server, which the controller proxies
// `reconcile logs` to.
type logFlags struct {
	listen string
	token  string // the controller's token, required by the log server too
}

func (f *logFlags) register(cmd *cobra.Command, lone bool) {
	// `up` picks a free loopback port; a lone agent uses the kubelet's port.
	def := "127.0.0.1:0"
	if lone {
		def = "127.0.0.1:10250"
	}
	cmd.Flags().StringVar(&f.listen, "listen-logs", def,
		"address of the agent's log server for `reconcile logs`; the controller must reach it (\"\" turns it off)")
}

// apply opens the log listener and hands it to the agent's options.
func (f *logFlags) apply(opts *agent.Options) error {
	if f.listen == "" {
		return nil
	}
	if f.token == "" && !apiserver.IsLoopback(f.listen) {
		return fmt.Errorf("--listen-logs %s is beyond loopback without a token: pass --token-file (the log server then requires the controller's token) or listen on 127.0.0.1", f.listen)
	}
	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("agent log server: listen on %s: %w (is another agent running here? pick another --listen-logs)", f.listen, err)
	}
	opts.LogListener = ln
	// Like the controller's API: the token is required on every address,
	// loopback included (logs may say what a local user must not read).
	opts.LogToken = f.token
	return nil
}
