package main

import (
	"fmt"
	"os"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
)

// client connects to the controller the way every CLI command does: the
// client config (--config-file, then $RECONCILE_CONFIG, then
// ~/.config/reconcile/config, which `up` writes) gives the server and the
// token; --server / RECONCILE_SERVER and --token-file / RECONCILE_TOKEN
// override them.
func (g *globalFlags) client() (*apiclient.Client, error) {
	server, token, err := connection(g.configFile, g.server, g.tokenFile)
	if err != nil {
		return nil, err
	}
	return apiclient.New(server, token), nil
}

// connection resolves the server URL and bearer token from a client config
// and the override flags.
func connection(configFlag, serverFlag, tokenFile string) (server, token string, err error) {
	path, explicit, err := clientconfig.Find(configFlag)
	if err != nil && explicit {
		return "", "", err
	}
	var cfg *clientconfig.Config
	if err == nil {
		if cfg, err = clientconfig.LoadFound(path, explicit); err != nil {
			return "", "", fmt.Errorf("%w (pass --config-file with the controller's DATA/admin.conf, or --token-file)", err)
		}
	}
	server = serverFlag
	if server == "" {
		server = os.Getenv("RECONCILE_SERVER")
	}
	if server == "" {
		server = cfg.Server() // "" without a config: apiclient.New takes the default
	}
	token, err = apiclient.TokenFromFile(tokenFile)
	if err != nil {
		return "", "", err
	}
	if token == "" && cfg != nil {
		token = cfg.Token
	}
	return server, token, nil
}
