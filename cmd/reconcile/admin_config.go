package main

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
)

// writeAdminConfig writes DATA/admin.conf (the controller's URL, the
// cluster CA, the admin's client certificate and the token, mode 0600) at
// every start, and a copy to the user's ~/.config/reconcile/config unless
// the user has one of their own, so the CLI of the user who started the
// controller needs no flags.
func writeAdminConfig(data string, cfg *clientconfig.Config, log *slog.Logger) error {
	admin, err := filepath.Abs(filepath.Join(data, "admin.conf"))
	if err != nil {
		return err
	}
	if err := clientconfig.Write(admin, cfg); err != nil {
		return fmt.Errorf("admin client config: %w", err)
	}
	user, err := clientconfig.UserPath()
	if err != nil {
		log.Warn("no user config directory: the CLI needs --config-file "+admin, "err", err)
		return nil
	}
	wrote, err := clientconfig.WriteUserCopy(user, admin, cfg)
	switch {
	case err != nil:
		log.Warn("cannot write the user's client config: the CLI needs --config-file "+admin, "path", user, "err", err)
	case wrote:
		log.Info("client config written: the CLI finds this controller by itself", "path", user, "admin", admin)
	default:
		log.Info("the user's client config is their own: left as is; use --config-file for this controller", "path", user, "admin", admin)
	}
	return nil
}

// localURL is the URL a client on this machine reaches listen at: an
// unspecified host (0.0.0.0, ::) is reached over loopback (127.0.0.1 is in
// the serving certificate). https unless the API serves plain HTTP.
func localURL(listen string, https bool) string {
	scheme := "https://"
	if !https {
		scheme = "http://"
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return scheme + listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return scheme + net.JoinHostPort(host, port)
}
