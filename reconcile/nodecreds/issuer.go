package nodecreds

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// Side-record prefixes (see the package doc).
const (
	tokenPrefix   = "jointoken/"
	nodePrefix    = "nodecert/"
	revokedPrefix = "revoked/"
)

// Issuer issues, renews and revokes node certificates and keeps join tokens.
type Issuer struct {
	store *store.Store
	ca    *pki.CA
	now   func() time.Time
	// lifetime of node certificates (pki.LeafLifetime unless Options say).
	lifetime time.Duration
	// onRevoke is told the node whose serials were revoked (the API server
	// closes its open streams).
	onRevoke func(node string)

	mu      sync.RWMutex
	revoked map[string]bool // pki.SerialString → revoked
}

// Options configure an Issuer; Store and CA are required.
type Options struct {
	Store *store.Store
	CA    *pki.CA
	Now   func() time.Time // default time.Now
	// Lifetime of the certificates issued to nodes; zero: pki.LeafLifetime
	// (one year). Nodes renew when a third of it is left.
	Lifetime time.Duration
}

// New loads the revoked serials and returns the issuer.
func New(o Options) (*Issuer, error) {
	if o.Store == nil || o.CA == nil {
		return nil, fmt.Errorf("nodecreds: a store and the cluster CA are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Lifetime <= 0 {
		o.Lifetime = pki.LeafLifetime
	}
	is := &Issuer{store: o.Store, ca: o.CA, now: o.Now, lifetime: o.Lifetime, revoked: map[string]bool{}}
	recs, err := o.Store.ListMeta(revokedPrefix)
	if err != nil {
		return nil, fmt.Errorf("loading revoked certificates: %w", err)
	}
	for _, r := range recs {
		is.revoked[strings.TrimPrefix(r.Key, revokedPrefix)] = true
	}
	return is, nil
}

// CA is the cluster CA the issuer signs with.
func (is *Issuer) CA() *pki.CA { return is.ca }

// OnRevoke sets fn to be told of every node whose credentials were revoked
// (after the revocation is stored).
func (is *Issuer) OnRevoke(fn func(node string)) { is.onRevoke = fn }

// Revoked says whether serial was revoked: apiserver.Server.Revoked, asked
// on every request authenticated by a certificate (a map lookup under a
// read lock).
func (is *Issuer) Revoked(serial *big.Int) bool {
	if serial == nil {
		return false
	}
	is.mu.RLock()
	defer is.mu.RUnlock()
	return is.revoked[pki.SerialString(serial)]
}

// Issued is one certificate issued to a node.
type Issued struct {
	Serial   string    `json:"serial"`
	NotAfter time.Time `json:"notAfter"`
	IssuedAt time.Time `json:"issuedAt"`
}

// NodeRecord is what the controller knows of a joined node's credentials.
type NodeRecord struct {
	Node string `json:"node"`
	// KeyHash is pki.CAHash's form of the node's current public key: a join
	// with another key under this name is refused until the node is deleted.
	KeyHash string   `json:"keyHash"`
	Token   string   `json:"token,omitempty"` // id of the token it joined with
	Serials []Issued `json:"serials"`
}

// Revocation records a revoked serial: a deleted node's, or a deleted
// person's (User set, Node empty; RevokeUser).
type Revocation struct {
	Node      string    `json:"node,omitempty"`
	User      string    `json:"user,omitempty"`
	RevokedAt time.Time `json:"revokedAt"`
	NotAfter  time.Time `json:"notAfter"`
}

func nodeRecord(tx *store.Tx, node string) (*NodeRecord, error) {
	var rec NodeRecord
	found, err := tx.GetMeta(nodePrefix+node, &rec)
	if err != nil || !found {
		return nil, err
	}
	return &rec, nil
}

// NodeRecord returns the record of node, nil when it never joined.
func (is *Issuer) NodeRecord(node string) (*NodeRecord, error) {
	var rec NodeRecord
	found, err := is.store.GetMeta(nodePrefix+node, &rec)
	if err != nil || !found {
		return nil, err
	}
	return &rec, nil
}

// unmarshal is json.Unmarshal for side records listed by prefix.
func unmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
