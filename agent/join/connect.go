package join

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// Connect is how an agent with a node's client config (DATA/agent.conf,
// written by Join) talks to the controller: an API client presenting the
// node's certificate, kept renewed in the background until ctx ends.
// `reconcile join` and `reconcile agent --config-file` both run it.
// server, when set, overrides the config's URL.
func Connect(ctx context.Context, path, server string, log *slog.Logger) (*Credentials, *apiclient.Client, error) {
	creds, err := LoadCredentials(path, nil, log)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (an agent runs with its node's client config: DATA/agent.conf written by `reconcile join`, or --config-file)", err)
	}
	if creds == nil {
		return nil, nil, fmt.Errorf("%s holds no client certificate: an agent authenticates with its node's certificate (DATA/agent.conf written by `reconcile join`, or `reconcile node credentials NAME > agent.conf` where the controller's DATA/pki is)", path)
	}
	if server == "" {
		server = creds.Server()
	}
	client := apiclient.NewTLS(server, "", creds.TLSConfig())
	go creds.KeepRenewed(ctx, client, nil)
	return creds, client, nil
}
