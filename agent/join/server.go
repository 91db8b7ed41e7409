package join

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
)

// PinnedClient is an API client of the server at server that trusts only
// the CA the join token pins (verified in the handshake, before anything
// is sent) and sends the token as its bearer: how a joining server
// (`reconcile controller --join URL --token T`) asks for its etcd member.
func PinnedClient(ctx context.Context, server, token string, log *slog.Logger) (*apiclient.Client, error) {
	o := Options{Server: server, Token: token, Log: log}
	o.defaults()
	u, err := CheckURL(server)
	if err != nil {
		return nil, err
	}
	tok, err := jointoken.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("join: --token: %w", err)
	}
	if tok.CAHash == "" {
		return nil, fmt.Errorf("join: --token %s.… carries no CA hash: use the whole K10…::%s.… form `reconcile token create --control-plane` prints", tok.ID, tok.ID)
	}
	if _, err := discoverWhenReachable(ctx, u, tok.CAHash, o); err != nil {
		return nil, err
	}
	var ca *x509.Certificate
	return apiclient.NewTLS(u.String(), tok.Bare(), pinned(u, tok.CAHash, o.Now, &ca)), nil
}
