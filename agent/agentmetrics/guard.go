package agentmetrics

import (
	"crypto/tls"
	"net/http"

	"github.com/reconcile-dev/reconcile/reconcile/authz"
)

// Guard lets through only requests whose verified client certificate is
// an identity reconcile/authz allows to read /metrics: the API server's
// own check (authz.Check: admin, deployer, viewer or metrics; not a node),
// with certificates only, since tokens are known to the controller alone.
// The TLS config (ServerTLS) has already verified the chain.
func Guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only node identities read the graph, and never for a path: nil.
		if _, code, err := authz.Check(r, certificateOnly, nil); code != 0 {
			http.Error(w, err.Error(), code)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func certificateOnly(r *http.Request) (authz.Identity, error) { return authz.Authenticate(r, "", nil) }

// ServerTLS makes the metrics endpoint's TLS from the agent's log server
// TLS (join.Credentials.LogServerTLS: the node's renewing certificate, the
// cluster CA as client CA) without its controller-only check: any client
// certificate of the cluster CA is verified, and Guard decides.
func ServerTLS(logTLS *tls.Config) *tls.Config {
	if logTLS == nil {
		return nil
	}
	c := logTLS.Clone()
	c.VerifyConnection = nil
	c.ClientAuth = tls.RequireAndVerifyClientCert
	return c
}
