package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// storeKeyFile holds the AES-256 key Badger encrypts the store with, so
// Secrets (and everything else) are encrypted at rest. Back it up with the
// data directory: the store cannot be read without it.
const storeKeyFile = "store.key"

// openStore opens DATA/store encrypted with DATA/store.key, creating the
// key with a new store. A store made before encryption existed (no key
// file) keeps opening unencrypted, with a warning: Badger cannot encrypt an
// existing store in place.
// The store's transactions hold a commit of up to maxCommitObjects.
func openStore(data string, log *slog.Logger, maxObject int64, maxCommitObjects int) (*store.Store, error) {
	dir, o, err := storeOptions(data, log, maxObject, maxCommitObjects)
	if err != nil {
		return nil, err
	}
	st, err := store.OpenWith(dir, o)
	if err != nil && o.EncryptionKey != nil {
		return nil, fmt.Errorf("%w (the store is encrypted with %s: is it the key this store was made with?)", err, filepath.Join(data, storeKeyFile))
	}
	return st, err
}

// storeOptions are DATA/store and the options to open it with: the
// encryption key of DATA/store.key (made with a new store; none for a
// store made before encryption, with a warning) and the size limits.
func storeOptions(data string, log *slog.Logger, maxObject int64, maxCommitObjects int) (string, store.Options, error) {
	// The store takes objects of up to maxObject bytes, plus what it adds
	// (uid, resourceVersion, the source annotations).
	o := store.Options{Log: log, MaxValueBytes: maxObject + 64<<10, MaxTxnObjects: maxCommitObjects}
	dir := filepath.Join(data, "store")
	keyPath := filepath.Join(data, storeKeyFile)
	key, err := os.ReadFile(keyPath)
	switch {
	case err == nil:
		if len(key) != 32 {
			return "", o, fmt.Errorf("%s has %d bytes, want 32: restore it from a backup (the store cannot be read without it)", keyPath, len(key))
		}
	case errors.Is(err, os.ErrNotExist):
		if _, serr := os.Stat(dir); serr == nil {
			log.Warn("the store is not encrypted at rest (made before store encryption): to encrypt it, move "+dir+" away and let git re-apply", "key", keyPath)
			return dir, o, nil
		}
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return "", o, err
		}
		if err := os.WriteFile(keyPath, key, 0o600); err != nil {
			return "", o, fmt.Errorf("write the store key: %w", err)
		}
	default:
		return "", o, fmt.Errorf("read the store key: %w", err)
	}
	o.EncryptionKey = key
	return dir, o, nil
}
