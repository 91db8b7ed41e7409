package usercreds

import (
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/nodecreds"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// Side-record prefixes (see the package doc).
const (
	userPrefix    = "user/"
	deletedPrefix = "usertoken-deleted/"
)

// Record is what the controller knows of a person.
type Record struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Created time.Time `json:"created"`
	// Certificates are the serials issued (expired ones are dropped when
	// another is issued).
	Certificates []nodecreds.Issued `json:"certificates,omitempty"`
	Tokens       []Token            `json:"tokens,omitempty"`
}

// Token is a person's bearer token as stored: its hash, never itself.
type Token struct {
	Hash     string    `json:"hash"` // jointoken.HashSecret
	IssuedAt time.Time `json:"issuedAt"`
	NotAfter time.Time `json:"notAfter"`
}

// Deleted marks the hash of a deleted person's token.
type Deleted struct {
	Name      string    `json:"name"`
	DeletedAt time.Time `json:"deletedAt"`
	NotAfter  time.Time `json:"notAfter"` // the token's own end; the mark can go after it
}

// Users issues, lists and deletes people's credentials and authenticates
// their tokens.
type Users struct {
	store *store.Store
	nodes *nodecreds.Issuer // the CA and the revocation list
	now   func() time.Time

	// writes serializes Create and Delete (a delete revokes what it read).
	writes sync.Mutex

	mu      sync.RWMutex
	tokens  map[string]person  // token hash → its person, role and end
	deleted map[string]Deleted // token hash → whose it was
}

type person struct {
	name     string
	role     authz.Role
	notAfter time.Time
}

// Options configure Users; Store and Nodes are required.
type Options struct {
	Store *store.Store
	// Nodes is the node credentials' issuer: its CA signs people's
	// certificates and its revocation list (Revoked) refuses deleted
	// people's.
	Nodes *nodecreds.Issuer
	Now   func() time.Time // default time.Now
}

// New loads the tokens into memory.
func New(o Options) (*Users, error) {
	if o.Store == nil || o.Nodes == nil {
		return nil, fmt.Errorf("usercreds: a store and the node credentials' issuer are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	u := &Users{store: o.Store, nodes: o.Nodes, now: o.Now, tokens: map[string]person{}, deleted: map[string]Deleted{}}
	recs, err := u.records()
	if err != nil {
		return nil, fmt.Errorf("loading people's tokens: %w", err)
	}
	for _, r := range recs {
		u.remember(r)
	}
	marks, err := o.Store.ListMeta(deletedPrefix)
	if err != nil {
		return nil, fmt.Errorf("loading deleted people's tokens: %w", err)
	}
	for _, m := range marks {
		var d Deleted
		if err := json.Unmarshal(m.Value, &d); err != nil {
			return nil, fmt.Errorf("side record %s: %w", m.Key, err)
		}
		u.deleted[m.Key[len(deletedPrefix):]] = d
	}
	return u, nil
}

// remember keeps r's tokens in memory.
func (u *Users) remember(r Record) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, t := range r.Tokens {
		u.tokens[t.Hash] = person{name: r.Name, role: authz.Role(r.Role), notAfter: t.NotAfter}
	}
}

// records reads every person's record, sorted by name.
func (u *Users) records() ([]Record, error) {
	recs, err := u.store.ListMeta(userPrefix)
	if err != nil {
		return nil, err
	}
	out := make([]Record, 0, len(recs))
	for _, m := range recs {
		var r Record
		if err := json.Unmarshal(m.Value, &r); err != nil {
			return nil, fmt.Errorf("side record %s: %w", m.Key, err)
		}
		out = append(out, r)
	}
	return out, nil
}

func record(tx *store.Tx, name string) (*Record, error) {
	var r Record
	found, err := tx.GetMeta(userPrefix+name, &r)
	if err != nil || !found {
		return nil, err
	}
	return &r, nil
}
