package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
)

// client connects to the controller the way every CLI command does: the
// client config (--config-file, then $RECONCILE_CONFIG, then
// ~/.config/reconcile/config, which `up` writes) gives the server, the
// cluster CA, the client certificate and the token; --server /
// RECONCILE_SERVER and --token-file / RECONCILE_TOKEN override the server
// and the token (the config's CA and certificate stay).
func (g *globalFlags) client() (*apiclient.Client, error) {
	cfg, err := connection(g.configFile, g.server, g.tokenFile)
	if err != nil {
		return nil, err
	}
	return newClient(cfg)
}

// newClient is the API client of a resolved configuration, over the TLS
// its CA and certificate make.
func newClient(cfg *clientconfig.Config) (*apiclient.Client, error) {
	tc, err := cfg.TLSConfig()
	if err != nil {
		if cfg.CertificateAuthority == "" && cfg.GeneratedFrom == noConfig {
			return nil, fmt.Errorf("the controller at %s serves HTTPS and no client config gives the cluster CA to verify it by: pass --config-file with the controller's DATA/admin.conf (it holds the CA; --token-file alone is not enough), or use a config from `reconcile user create`", cfg.Server())
		}
		return nil, err
	}
	return apiclient.NewTLS(strings.Join(cfg.Servers, ","), cfg.Token, tc), nil
}

// noConfig marks a configuration made from flags alone (no file found).
const noConfig = "(flags)"

// connection resolves the client config and the override flags into the
// configuration a client uses: the server URLs (https:// when an address
// names no scheme; several, comma-separated, for a control plane of
// several servers: the client moves to the next on connection errors),
// the token, and the config file's CA and certificate.
func connection(configFlag, serverFlag, tokenFile string) (*clientconfig.Config, error) {
	path, explicit, err := clientconfig.Find(configFlag)
	if err != nil && explicit {
		return nil, err
	}
	var cfg *clientconfig.Config
	if err == nil {
		if cfg, err = clientconfig.LoadFound(path, explicit); err != nil {
			return nil, fmt.Errorf("%w (pass --config-file with the controller's DATA/admin.conf)", err)
		}
	}
	if cfg == nil {
		cfg = clientconfig.New("")
		cfg.GeneratedFrom = noConfig
	}
	server := serverFlag
	if server == "" {
		server = os.Getenv("RECONCILE_SERVER")
	}
	if server == "" {
		server = strings.Join(cfg.Servers, ",") // "" without a config: the default
	}
	cfg.Servers = apiclient.ParseServers(server)
	token, err := apiclient.TokenFromFile(tokenFile)
	if err != nil {
		return nil, err
	}
	if token != "" {
		cfg.Token = token
	}
	return cfg, nil
}
