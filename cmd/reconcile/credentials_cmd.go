package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// issueFlags are those of the commands that issue a client config from the
// cluster CA on the controller's machine.
type issueFlags struct {
	data string
	ttl  time.Duration
}

func (f *issueFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.data, "data", defaultDataDir(), "the controller's data directory (its pki/ holds the cluster CA and its key)")
	cmd.Flags().DurationVar(&f.ttl, "ttl", pki.LeafLifetime, "lifetime of the certificate")
}

// issuer loads the CA and picks the server URL the config names: --server,
// else DATA/admin.conf's.
func (f *issueFlags) issuer(g *globalFlags) (*pki.CA, string, error) {
	ca, err := pki.LoadCA(credentials.PKIDir(f.data))
	if err != nil {
		return nil, "", err
	}
	server := g.server
	if server == "" {
		admin, err := clientconfig.Load(filepath.Join(f.data, "admin.conf"))
		if err != nil {
			return nil, "", fmt.Errorf("%w: pass --server https://HOST:PORT (the controller's address as the config's user reaches it)", err)
		}
		server = admin.Server()
	}
	server = apiclient.NormalizeServer(server)
	noteLoopback(server)
	return ca, server, nil
}

// noteLoopback tells on stderr when a printed config names a server
// reachable from this machine only.
func noteLoopback(server string) {
	rest, ok := strings.CutPrefix(server, "https://")
	if host, _, err := net.SplitHostPort(rest); ok && err == nil && apiserver.IsLoopback(net.JoinHostPort(host, "0")) {
		fmt.Fprintf(os.Stderr, "note: the config names %s, reachable from this machine only; pass --server https://HOST:PORT for another machine (HOST must be in the controller's certificate: --tls-san)\n", server)
	}
}

// printConfig writes a client config to stdout (the caller redirects it
// to a file: it holds a private key).
func printConfig(cmd *cobra.Command, c *clientconfig.Config) error {
	b, err := yaml.Marshal(c)
	if err != nil {
		return err
	}
	_, err = cmd.OutOrStdout().Write(b)
	return err
}

func newNodeCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{Use: "node", Short: "Manage nodes' credentials"}
	f := &issueFlags{}
	var ips []net.IP
	creds := &cobra.Command{
		Use:   "credentials NAME",
		Short: "Print a node's client config for offline provisioning: the server, the cluster CA and the node's certificate",
		Long: `Print the client config an agent runs with ('reconcile agent --config-file FILE'): the
controller's URL, the cluster CA and a certificate for node NAME (CN node:NAME, O reconcile:nodes)
that serves both as its client identity and as its log server's certificate.

Run it where the controller's data directory is (it needs DATA/pki/ca.key); the key is made
here, so copy the file to the node privately. --server is the URL the config names, as the node
reaches the controller (default DATA/admin.conf's, which is loopback).`,
		Example: `  reconcile node credentials node-b --node-ip 10.0.0.2 --server https://10.0.0.1:7420 > agent.conf`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ca, server, err := f.issuer(g)
			if err != nil {
				return err
			}
			c, err := credentials.Node(ca, server, args[0], ips, f.ttl, time.Now())
			if err != nil {
				return err
			}
			return printConfig(cmd, c)
		},
	}
	creds.Flags().IPSliceVar(&ips, "node-ip", nil, "the node's addresses, written into its certificate (repeatable)")
	f.register(creds)
	cmd.AddCommand(creds)
	return cmd
}
