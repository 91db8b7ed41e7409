package agentcmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/agent/join"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// NewJoinCmd is `join URL --token T`: join this host and run its agent
// (or --simulate N simulated nodes joining with the token).
func NewJoinCmd() *cobra.Command {
	f := &Flags{}
	sim := &simulateFlags{}
	var token string
	cmd := &cobra.Command{
		Use:   "join https://CONTROLLER:7420 --token TOKEN [--node NAME] [--node-ip IP]",
		Short: "Join this host to a cluster and run its agent (as root)",
		Long: `Join this host to the cluster of the controller at URL, with a token from 'reconcile token create'
(the controller prints a join line at start), and run the node's agent.

join verifies the controller first: it takes the cluster CA from the TLS handshake and compares its
hash with the one the token carries, before it sends anything (a plain http:// URL is refused). It
then makes a key on this host, sends a certificate signing request with the token, and writes
DATA/agent.conf (mode 0600: the controller's https URL, the cluster CA, this node's certificate and
key). The agent runs with it as 'reconcile agent --config-file DATA/agent.conf' would, renewing the
certificate before it expires. Run join again after a restart: a host that joined before reuses its
credentials (and joins again when its node was deleted).`,
		Example: `  reconcile join https://10.0.0.1:7420 --token K10…::abcdef.0123456789abcdef --node node-b
  reconcile join https://10.0.0.1:7420 --token K10…::abcdef.0123456789abcdef --simulate 1000   # 1,000 simulated nodes`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			log := NewLogger()
			if sim.count > 0 {
				cfg, err := sim.config(f, args[0], token, log)
				if err != nil {
					return err
				}
				return runSimulated(cmd.Context(), cfg, log)
			}
			res, err := join.Join(cmd.Context(), join.Options{Server: args[0], Token: token, Node: f.Node, Addresses: HostAddresses(f), DataDir: f.Data, Log: log})
			if err != nil {
				return err
			}
			return RunNodeAgent(cmd.Context(), f, res.Path, args[0], false, log) // the URL given wins over an older agent.conf's
		},
	}
	f.Register(cmd, true)
	sim.register(cmd)
	cmd.Flags().StringVar(&token, "token", "", "join token from 'reconcile token create' (K10<CA hash>::<id>.<secret>)")
	cmd.MarkFlagRequired("token")
	return cmd
}

// HostAddresses are the node's addresses for its certificate: --node-ip,
// else the host's own.
func HostAddresses(f *Flags) []string {
	addr := f.net.nodeIP
	if addr == "" {
		addr = agent.HostIP()
	}
	if addr == "" {
		return nil
	}
	return []string{addr}
}

// RunNodeAgent runs the agent with a node's client config (agent.conf):
// its certificate, renewed in the background, is its credential towards
// the API and its log server's pair. server overrides the config's URL;
// nodeSet says whether --node was given (it must then be the
// certificate's node).
func RunNodeAgent(ctx context.Context, f *Flags, path, server string, nodeSet bool, log *slog.Logger) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	creds, client, err := join.Connect(ctx, path, server, log)
	if err != nil {
		return err
	}
	if f.logs.tls, err = creds.LogServerTLS(); err != nil {
		return err
	}
	if nodeSet && f.Node != creds.Node() {
		return fmt.Errorf("--node %s, but %s holds the certificate of node %s: drop --node, or join as %s", f.Node, path, creds.Node(), f.Node)
	}
	f.Node = creds.Node()
	f.annotations = creds.Annotations
	err = RunAgent(ctx, f, apiclient.ControlPlane{Client: client}, log)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
