package apitypes

import "time"

// UserRequest is the body of POST /api/v1/users (admin): a credential for
// the person Name with Role (admin, deployer, viewer, metrics), either a client
// certificate for the key of CSR (the key stays with the caller) or, with
// Token set and no CSR, a bearer token the controller makes.
type UserRequest struct {
	Name string `json:"name"`
	Role string `json:"role"`
	// TTL is how long the credential works ("720h"); "" is a year
	// (pki.LeafLifetime).
	TTL   string `json:"ttl,omitempty"`
	CSR   string `json:"csr,omitempty"`
	Token bool   `json:"token,omitempty"`
}

// Kinds of a person's credential.
const (
	UserKindCertificate = "certificate"
	UserKindToken       = "token"
)

// UserCredential is one credential of a person as the API shows it. The
// secret-bearing fields (Token; Certificate is public but is only of use
// with its key) are set only in the answer to its creation; a token is
// shown that once and the controller keeps only its SHA-256.
type UserCredential struct {
	Name    string    `json:"name"`
	Role    string    `json:"role"`
	Kind    string    `json:"kind"`             // UserKindCertificate or UserKindToken
	Serial  string    `json:"serial,omitempty"` // a certificate's (pki.SerialString)
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`

	Certificate          string `json:"certificate,omitempty"`
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
	Token                string `json:"token,omitempty"`
}

// UserDeleted is the answer to DELETE /api/v1/users/{name}: what stopped
// working.
type UserDeleted struct {
	Name           string   `json:"name"`
	RevokedSerials []string `json:"revokedSerials"`
	DeletedTokens  int      `json:"deletedTokens"`
}
