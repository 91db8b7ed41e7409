package nodecreds

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/jointoken"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// DefaultTTL is a token's lifetime unless told otherwise (kubeadm's).
const DefaultTTL = 24 * time.Hour

// MaxDescription bounds a token's description.
const MaxDescription = 256

// CreateToken makes and stores a token that works for ttl (0: never
// expires) and returns it with its CA hash: the only time its secret is
// seen.
func (is *Issuer) CreateToken(ttl time.Duration, description string) (jointoken.Token, jointoken.Record, error) {
	if ttl < 0 {
		return jointoken.Token{}, jointoken.Record{}, apierrors.New(apierrors.ReasonBadRequest, "token ttl %s is negative: give a duration such as 24h, or 0 for a token that never expires", ttl)
	}
	if len(description) > MaxDescription {
		return jointoken.Token{}, jointoken.Record{}, apierrors.New(apierrors.ReasonBadRequest, "token description is %d bytes, at most %d", len(description), MaxDescription)
	}
	tok, err := jointoken.Generate(is.ca.Hash())
	if err != nil {
		return tok, jointoken.Record{}, err
	}
	now := is.now().UTC()
	rec := jointoken.Record{ID: tok.ID, SecretHash: jointoken.HashSecret(tok), Description: description, Created: now}
	if ttl > 0 {
		rec.Expires = now.Add(ttl)
	}
	err = is.store.Update(func(tx *store.Tx) error {
		var old jointoken.Record
		if found, err := tx.GetMeta(tokenPrefix+tok.ID, &old); err != nil {
			return err
		} else if found { // 36^6 ids: a clash is rare, but never overwrite a token
			return apierrors.New(apierrors.ReasonConflict, "token id %s is taken; run the command again", tok.ID)
		}
		return tx.PutMeta(tokenPrefix+tok.ID, rec)
	})
	return tok, rec, err
}

// ListTokens returns every token's record (without its hash), oldest first.
func (is *Issuer) ListTokens() ([]jointoken.Record, error) {
	recs, err := is.store.ListMeta(tokenPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]jointoken.Record, 0, len(recs))
	for _, r := range recs {
		var rec jointoken.Record
		if err := unmarshal(r.Value, &rec); err != nil {
			return nil, fmt.Errorf("token record %s: %w", r.Key, err)
		}
		out = append(out, rec.Public())
	}
	slices.SortFunc(out, func(a, b jointoken.Record) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// DeleteToken removes a token: it stops working at once. A token joins no
// node after that; nodes that joined with it keep their certificates.
func (is *Issuer) DeleteToken(id string) error {
	if err := jointoken.ValidID(id); err != nil {
		return apierrors.New(apierrors.ReasonBadRequest, "%s", err)
	}
	return is.store.Update(func(tx *store.Tx) error {
		var rec jointoken.Record
		found, err := tx.GetMeta(tokenPrefix+id, &rec)
		if err != nil {
			return err
		}
		if !found {
			return apierrors.New(apierrors.ReasonNotFound, "join token %q not found (see `reconcile token list`)", id)
		}
		return tx.DeleteMeta(tokenPrefix + id)
	})
}

// PruneExpired deletes the tokens with description prefix prefix that
// expired before now: the controller's own start tokens, so restarts do
// not pile them up. Tokens people made stay until they delete them.
func (is *Issuer) PruneExpired(prefix string) error {
	recs, err := is.ListTokens()
	if err != nil {
		return err
	}
	now := is.now()
	return is.store.Update(func(tx *store.Tx) error {
		for _, r := range recs {
			if strings.HasPrefix(r.Description, prefix) && !r.Expires.IsZero() && !now.Before(r.Expires) {
				if err := tx.DeleteMeta(tokenPrefix + r.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// CheckToken says whether bearer is a join token that works now, without
// counting a use (the API asks before it reads a join's body).
func (is *Issuer) CheckToken(bearer string) error {
	_, _, err := checkToken(is.store.GetMeta, bearer, is.now())
	return err
}

// useToken checks bearer in tx and counts its use.
func useToken(tx *store.Tx, bearer string, now time.Time) (jointoken.Token, *jointoken.Record, error) {
	tok, rec, err := checkToken(tx.GetMeta, bearer, now)
	if err != nil {
		return tok, nil, err
	}
	rec.Uses++
	rec.LastUsed = now.UTC()
	return tok, rec, tx.PutMeta(tokenPrefix+tok.ID, rec)
}

// checkToken checks bearer (either printed form) against its record, read
// with get. A missing or malformed token is a BadRequest, an unknown,
// deleted, wrong or expired one Unauthorized; the messages say which and
// what to do.
func checkToken(get func(string, any) (bool, error), bearer string, now time.Time) (jointoken.Token, *jointoken.Record, error) {
	if bearer == "" {
		return jointoken.Token{}, nil, apierrors.New(apierrors.ReasonUnauthorized, "joining needs a join token in \"Authorization: Bearer <token>\": make one with `reconcile token create` on the controller")
	}
	tok, err := jointoken.Parse(bearer)
	if err != nil {
		return tok, nil, apierrors.New(apierrors.ReasonBadRequest, "malformed join token: %s", err)
	}
	var rec jointoken.Record
	found, err := get(tokenPrefix+tok.ID, &rec)
	if err != nil {
		return tok, nil, err
	}
	recp := &rec
	if !found {
		recp = nil
	}
	if err := jointoken.Check(tok, recp, now); err != nil {
		return tok, nil, apierrors.New(apierrors.ReasonUnauthorized, "%s", err)
	}
	return tok, recp, nil
}
