package apitypes

import "time"

// JoinRequest is the body of POST /api/v1/join (the join token goes in
// "Authorization: Bearer"): the node's name, the addresses its certificate
// names, and a PEM certificate signing request made with the node's own
// key (the key never leaves the node).
type JoinRequest struct {
	Node      string   `json:"node"`
	Addresses []string `json:"addresses,omitempty"`
	CSR       string   `json:"csr"`
}

// CertificateRequest is the body of POST /api/v1/nodes/{name}/certificate:
// a renewal by the node itself (mTLS), a CSR for a new key.
type CertificateRequest struct {
	Addresses []string `json:"addresses,omitempty"`
	CSR       string   `json:"csr"`
}

// Certificate answers a join or a renewal: the node's certificate and the
// cluster CA, both PEM.
type Certificate struct {
	Node                 string    `json:"node"`
	Certificate          string    `json:"certificate"`
	CertificateAuthority string    `json:"certificateAuthority"`
	NotAfter             time.Time `json:"notAfter"`
}

// TokenRequest is the body of POST /api/v1/tokens.
type TokenRequest struct {
	// TTL is how long the token works ("24h"); "0" or "0s" never expires.
	TTL         string `json:"ttl,omitempty"`
	Description string `json:"description,omitempty"`
}

// Token is a join token as the API shows it: Token (the secret, in the
// printed form) only in the answer to its creation.
type Token struct {
	ID          string    `json:"id"`
	Token       string    `json:"token,omitempty"`
	Description string    `json:"description,omitempty"`
	Created     time.Time `json:"created"`
	Expires     time.Time `json:"expires,omitzero"`
	Uses        int       `json:"uses"`
	LastUsed    time.Time `json:"lastUsed,omitzero"`
}

// NodeDeleted answers DELETE /api/v1/nodes/{name}: what went with it.
type NodeDeleted struct {
	Node           string   `json:"node"`
	RevokedSerials []string `json:"revokedSerials"`
	DeletedPods    int      `json:"deletedPods"`
}
