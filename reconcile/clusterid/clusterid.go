package clusterid

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// MetaKey is the store's side record holding the ID.
const MetaKey = "cluster/id"

// FileName is the file in the data directory holding the ID.
const FileName = "cluster-id"

// Default is the ID an installation gets unless told otherwise: 16 hex
// digits of SHA-256 over the machine ID and the absolute data directory.
// It is pure.
func Default(machineID, dataDir string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(machineID) + "\x00" + filepath.Clean(dataDir)))
	return hex.EncodeToString(sum[:8])
}

var validID = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Valid checks an ID given by hand: a DNS label (lower-case letters,
// digits, '-'), as it ends up in Podman label filters.
func Valid(id string) error {
	if !validID.MatchString(id) {
		return fmt.Errorf("cluster ID %q: want 1-63 lower-case letters, digits or '-', starting and ending with a letter or digit", cut(id))
	}
	return nil
}

func cut(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// MachineID is /etc/machine-id, else the hostname.
func MachineID() string {
	for _, p := range []string{"/etc/machine-id", "/var/lib/dbus/machine-id"} {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
			return strings.TrimSpace(string(b))
		}
	}
	h, _ := os.Hostname()
	return h
}

// Choose decides the ID from what is known: the flag wins, then the file,
// then the store, then the default. It says what to warn about when the
// sources disagree. It is pure.
func Choose(flag, file, stored, def string) (id string, warning string) {
	switch {
	case flag != "":
		if (file != "" && file != flag) || (stored != "" && stored != flag) {
			warning = fmt.Sprintf("--cluster-id %s replaces the cluster ID recorded before (file %q, store %q): pods labelled with the old ID are no longer this installation's", flag, file, stored)
		}
		return flag, warning
	case file != "":
		if stored != "" && stored != file {
			warning = fmt.Sprintf("the data directory's cluster ID %s differs from the store's %s; keeping the data directory's (pass --cluster-id to choose)", file, stored)
		}
		return file, warning
	case stored != "":
		return stored, ""
	}
	return def, ""
}

// LoadOrCreate returns the cluster ID of the installation with this data
// directory and store, recording it in both.
func LoadOrCreate(dataDir string, st *store.Store, flag string, log *slog.Logger) (string, error) {
	if flag != "" {
		if err := Valid(flag); err != nil {
			return "", fmt.Errorf("--cluster-id: %w", err)
		}
	}
	abs, err := filepath.Abs(dataDir)
	if err != nil {
		return "", err
	}
	path := filepath.Join(abs, FileName)
	var file string
	switch b, err := os.ReadFile(path); {
	case err == nil:
		file = strings.TrimSpace(string(b))
		if err := Valid(file); err != nil {
			return "", fmt.Errorf("%s: %w (fix or delete the file, or pass --cluster-id)", path, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("reading the cluster ID: %w", err)
	}
	var stored string
	if _, err := st.GetMeta(MetaKey, &stored); err != nil {
		return "", fmt.Errorf("reading the cluster ID from the store: %w", err)
	}
	id, warning := Choose(flag, file, stored, Default(MachineID(), abs))
	if warning != "" && log != nil {
		log.Warn(warning)
	}
	if file != id {
		if err := os.WriteFile(path, []byte(id+"\n"), 0o644); err != nil {
			return "", fmt.Errorf("writing the cluster ID: %w", err)
		}
	}
	if stored != id {
		if err := st.Update(func(tx *store.Tx) error { return tx.PutMeta(MetaKey, id) }); err != nil {
			return "", fmt.Errorf("recording the cluster ID in the store: %w", err)
		}
	}
	return id, nil
}

// Get reads the ID from the store ("" when none was recorded).
func Get(st *store.Store) (string, error) {
	var id string
	_, err := st.GetMeta(MetaKey, &id)
	return id, err
}
