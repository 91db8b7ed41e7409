package main

import (
	"fmt"
	"io"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
)

// printJoinLine prints how to join a host, with a fresh 24 h token
// (nodecreds.StartToken).
func printJoinLine(w io.Writer, nodes *nodecreds.Issuer, listen string) error {
	tok, err := nodes.StartToken()
	if err != nil {
		return err
	}
	url, local := nodecreds.JoinURL(listen, agent.HostIP())
	note := ""
	if local {
		note = " (the API listens on loopback only: start with --listen 0.0.0.0:PORT for other hosts to reach it)"
	}
	_, err = fmt.Fprintf(w, "\nTo join a host to this cluster, run on it as root (the token works for %s; `reconcile token create` makes more)%s:\n\n  %s\n\n",
		nodecreds.DefaultTTL, note, nodecreds.JoinLine(url, tok))
	return err
}
