package main

import (
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// client connects to the controller the way every CLI command does:
// --server, then RECONCILE_SERVER, then the default loopback address.
func (g *globalFlags) client() (*apiclient.Client, error) {
	token, err := apiclient.TokenFromFile(g.tokenFile)
	if err != nil {
		return nil, err
	}
	return apiclient.New(apiclient.ServerFromEnv(g.server), token), nil
}
