package secrets

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
)

// IdentityFile and RecipientFile are the names of the controller's key and
// its public half in the data directory.
const (
	IdentityFile  = "age.key"
	RecipientFile = "age.recipient"
)

// LoadOrCreateIdentity returns the controller's age identity from dir,
// generating it (and the recipient file) at first start.
func LoadOrCreateIdentity(dir string) (*age.X25519Identity, error) {
	p := filepath.Join(dir, IdentityFile)
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		id, err := age.GenerateX25519Identity()
		if err != nil {
			return nil, fmt.Errorf("generate the secrets key: %w", err)
		}
		if err := os.WriteFile(p, []byte(id.String()+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("write the secrets key %s: %w", p, err)
		}
		if err := writeRecipient(dir, id); err != nil {
			return nil, err
		}
		return id, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the secrets key: %w", err)
	}
	id, err := age.ParseX25519Identity(strings.TrimSpace(string(b)))
	if err != nil {
		// The parse error could quote the key: say only where.
		return nil, fmt.Errorf("%s is not an age X25519 identity (AGE-SECRET-KEY-1…): restore it from a backup; without it the Secrets in git cannot be decrypted", p)
	}
	if err := writeRecipient(dir, id); err != nil {
		return nil, err
	}
	return id, nil
}

func writeRecipient(dir string, id *age.X25519Identity) error {
	p := filepath.Join(dir, RecipientFile)
	if err := os.WriteFile(p, []byte(id.Recipient().String()+"\n"), 0o644); err != nil {
		return fmt.Errorf("write the secrets recipient %s: %w", p, err)
	}
	return nil
}
