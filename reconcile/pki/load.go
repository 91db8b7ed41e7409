package pki

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// LoadCA loads the CA in dir without ever making one: for commands that
// issue credentials of an existing cluster (`reconcile user create`).
func LoadCA(dir string) (*CA, error) {
	certPath := filepath.Join(dir, CACertFile)
	certPEM, err := os.ReadFile(certPath)
	if err == nil {
		var keyPEM []byte
		if keyPEM, err = os.ReadFile(filepath.Join(dir, CAKeyFile)); err == nil {
			return parseCA(certPath, certPEM, keyPEM)
		}
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no cluster CA in %s: run this where the controller's data directory is (--data), after the controller's first start: %w", dir, err)
	}
	return nil, fmt.Errorf("cluster CA in %s: %w (issuing credentials needs the CA key: run as the controller's user, usually root)", dir, err)
}
