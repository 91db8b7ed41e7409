package nodecreds

import (
	"net"

	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
)

// StartTokenDescription marks the tokens the controller makes at start
// for the join line it prints.
const StartTokenDescription = "printed by the controller at start"

// StartToken is the token of the join line `reconcile controller` and
// `reconcile up` print: a fresh one at every start, valid DefaultTTL (the
// controller keeps no token's secret, so it cannot print an older one).
// The expired ones of earlier starts are deleted first, so restarts do not
// pile them up; `reconcile token delete` ends one early.
func (is *Issuer) StartToken() (jointoken.Token, error) {
	if err := is.PruneExpired(StartTokenDescription); err != nil {
		return jointoken.Token{}, err
	}
	tok, _, err := is.CreateToken(DefaultTTL, StartTokenDescription)
	return tok, err
}

// JoinURL is the https URL other hosts join at for a controller listening
// on listen: its host, or hostIP when it listens on every address. local
// says the address is loopback only: no other host can reach it.
func JoinURL(listen, hostIP string) (url string, local bool) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return "https://" + listen, false
	}
	ip := net.ParseIP(host)
	if host == "" || ip != nil && ip.IsUnspecified() {
		host = hostIP
		if host == "" {
			host = "127.0.0.1"
		}
		ip = net.ParseIP(host)
	}
	local = host == "localhost" || ip != nil && ip.IsLoopback()
	return "https://" + net.JoinHostPort(host, port), local
}

// JoinLine is the command the controller prints for joining a host.
func JoinLine(url string, tok jointoken.Token) string {
	return "reconcile join " + url + " --token " + tok.String()
}
