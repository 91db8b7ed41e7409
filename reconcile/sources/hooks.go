package sources

import (
	"fmt"
	"os"
	"strings"
)

// WebhookSecret returns the webhook secret of a source, read from its file
// at every call so that a rotated secret needs no restart. known is false
// for a source that does not exist or has no webhook configured.
func (m *Manager) WebhookSecret(name string) (secret []byte, known bool, err error) {
	r, ok := m.runners[name]
	if !ok || r.cfg.WebhookSecretFile == "" {
		return nil, false, nil
	}
	b, err := os.ReadFile(r.cfg.WebhookSecretFile)
	if err != nil {
		return nil, true, fmt.Errorf("source %q: reading webhook secret: %w", name, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return nil, true, fmt.Errorf("source %q: webhook secret file %s is empty: put the shared secret in it", name, r.cfg.WebhookSecretFile)
	}
	return []byte(s), true, nil
}
