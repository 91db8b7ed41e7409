package main

import (
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
)

// adminConnect is agentcmd.AdminConnect with the CLI's client resolution
// (client.go): `reconcile agent --simulate N` on the controller's machine.
func adminConnect(configFile, server, tokenFile string) (*apiclient.Client, string, error) {
	conn, err := connection(configFile, server, tokenFile)
	if err != nil {
		return nil, "", err
	}
	c, err := newClient(conn)
	if err != nil {
		return nil, "", err
	}
	return c, conn.Server(), nil
}
