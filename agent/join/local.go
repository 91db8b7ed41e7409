package join

import (
	"context"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
)

// TokenIssuer makes and deletes join tokens: the controller's own
// (nodecreds.Issuer), for an agent that runs in the controller's process.
type TokenIssuer interface {
	CreateToken(ttl time.Duration, description string) (jointoken.Token, jointoken.Record, error)
	DeleteToken(id string) error
}

// LocalTokenDescription marks the one-use tokens JoinLocal makes.
const LocalTokenDescription = jointoken.LocalDescription

// JoinLocal joins the agent of `reconcile up` (in the controller's own
// process) the way every other host joins, so its credentials are like
// theirs: its key made here, its certificate's serial recorded (`reconcile
// node delete` revokes it), renewed by the agent while it runs. The token
// is made for this join only and deleted right after; o.Token is ignored.
func JoinLocal(ctx context.Context, is TokenIssuer, o Options) (Result, error) {
	tok, _, err := is.CreateToken(10*time.Minute, LocalTokenDescription)
	if err != nil {
		return Result{}, err
	}
	defer is.DeleteToken(tok.ID)
	o.Token = tok.String()
	return Join(ctx, o)
}
