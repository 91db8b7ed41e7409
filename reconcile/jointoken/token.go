package jointoken

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Lengths of the two parts (kubeadm's).
const (
	IDLength     = 6
	SecretLength = 16
	// Prefix starts the printed form ("K10" as k3s' secure tokens).
	Prefix = "K10"
	// hashPrefix is pki.CAHash's algorithm prefix.
	hashPrefix = "sha256:"
)

var (
	bareRe = regexp.MustCompile(`^([a-z0-9]{6})\.([a-z0-9]{16})$`)
	hexRe  = regexp.MustCompile(`^[0-9a-f]{64}$`)
	idRe   = regexp.MustCompile(`^[a-z0-9]{6}$`)
)

// Token is a join token: ID names it (in lists, deletion), Secret proves it.
// CAHash ("sha256:<hex>") is the cluster CA's, "" for a bare token.
type Token struct {
	ID, Secret string
	CAHash     string
}

// ErrFormat is the error of a token that is not in either form.
var ErrFormat = errors.New("a join token is K10<64 hex>::<6 of a-z0-9>.<16 of a-z0-9> (as `reconcile token create` prints it) or its bare <id>.<secret> part")

// Generate makes a new token for the CA with hash caHash.
func Generate(caHash string) (Token, error) {
	id, err := randomString(IDLength)
	if err != nil {
		return Token{}, err
	}
	secret, err := randomString(SecretLength)
	if err != nil {
		return Token{}, err
	}
	return Token{ID: id, Secret: secret, CAHash: caHash}, nil
}

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomString draws n characters of [a-z0-9] uniformly (rejection of the
// bytes past the largest multiple of 36, so no character is likelier).
func randomString(n int) (string, error) {
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			if int(b) < 252 && len(out) < n { // 252 = 7 × 36
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out), nil
}

// Bare is "<id>.<secret>", the bearer token sent to the controller.
func (t Token) Bare() string { return t.ID + "." + t.Secret }

// String is the printed form, K10<hex>::<id>.<secret>; the bare form when
// the token has no CA hash.
func (t Token) String() string {
	if t.CAHash == "" {
		return t.Bare()
	}
	return Prefix + strings.TrimPrefix(t.CAHash, hashPrefix) + "::" + t.Bare()
}

// Parse reads either form. Surrounding white space is ignored (a token
// pasted from a terminal); anything else that is not exactly one of the two
// forms is ErrFormat.
func Parse(s string) (Token, error) {
	s = strings.TrimSpace(s)
	var hash string
	if rest, ok := strings.CutPrefix(s, Prefix); ok {
		h, bare, found := strings.Cut(rest, "::")
		if !found || !hexRe.MatchString(h) {
			return Token{}, ErrFormat
		}
		hash, s = hashPrefix+h, bare
	}
	m := bareRe.FindStringSubmatch(s)
	if m == nil {
		return Token{}, ErrFormat
	}
	return Token{ID: m[1], Secret: m[2], CAHash: hash}, nil
}

// ValidID says whether id has the form of a token id (`token delete ID`).
func ValidID(id string) error {
	if !idRe.MatchString(id) {
		return fmt.Errorf("token id %q: a token id is 6 characters of a-z and 0-9 (the part before the dot; see `reconcile token list`)", id)
	}
	return nil
}

// HashSecret is what the controller stores instead of the secret: the hex
// SHA-256 of "<id>.<secret>". The secret has about 82 bits of entropy, so a
// plain hash is enough (nothing to guess from it offline).
func HashSecret(t Token) string {
	sum := sha256.Sum256([]byte(t.Bare()))
	return hex.EncodeToString(sum[:])
}

// SecretMatches compares t's secret with a stored hash in constant time.
func SecretMatches(t Token, stored string) bool {
	return subtle.ConstantTimeCompare([]byte(HashSecret(t)), []byte(stored)) == 1
}
