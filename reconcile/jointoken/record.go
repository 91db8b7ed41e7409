package jointoken

import (
	"errors"
	"fmt"
	"time"
)

// Record is what the controller keeps of a token: never its secret.
type Record struct {
	ID          string    `json:"id"`
	SecretHash  string    `json:"secretHash,omitempty"` // HashSecret; never sent to clients
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	// Expires is when the token stops working; zero = never (--ttl 0).
	Expires  time.Time `json:"expires,omitzero"`
	Uses     int       `json:"uses"`
	LastUsed time.Time `json:"lastUsed,omitzero"`
}

// Public is the record as `token list` shows it: without the hash.
func (r Record) Public() Record {
	r.SecretHash = ""
	return r
}

// Errors of Check; the API answers all of them 401 with the message.
var (
	ErrUnknown = errors.New("unknown join token")
	ErrExpired = errors.New("expired join token")
)

// Check says whether token t, whose record is rec (nil: none stored), may
// join at now. Deleted tokens have no record: they are unknown. The
// messages say what to do and never repeat the secret.
func Check(t Token, rec *Record, now time.Time) error {
	switch {
	case rec == nil:
		return fmt.Errorf("%w %q: it was never created on this controller or was deleted; make one with `reconcile token create` on the controller", ErrUnknown, t.ID)
	case !SecretMatches(t, rec.SecretHash):
		return fmt.Errorf("%w %q: its secret does not match (a mistyped token?); copy it again from `reconcile token create`", ErrUnknown, t.ID)
	case !rec.Expires.IsZero() && !now.Before(rec.Expires):
		return fmt.Errorf("%w %q: it expired at %s; make a new one with `reconcile token create`", ErrExpired, t.ID, rec.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// LocalDescription marks the one-use tokens with which `reconcile up` joins
// its own agent (agent/join.JoinLocal). Such a join may take over a Node of
// its name that was registered without joining: the same machine's node
// from before nodes had credentials.
const LocalDescription = "reconcile up: its own agent"

// ServerDescription starts the description of a server join token
// (`reconcile token create --control-plane`): only such a token admits a server
// (`reconcile controller --join`), which receives the cluster CA's key, the
// admin token and the Secrets key. A node token never does.
const ServerDescription = "server: "
