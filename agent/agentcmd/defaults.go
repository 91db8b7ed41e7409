package agentcmd

import (
	"log/slog"
	"os"
	"path/filepath"
)

// DefaultDataDir is the product's data directory: /var/lib/reconcile for
// root, the user's cache directory otherwise (the agent's is its agent/).
func DefaultDataDir() string {
	if os.Geteuid() == 0 {
		return "/var/lib/reconcile"
	}
	if d, err := os.UserCacheDir(); err == nil {
		return filepath.Join(d, "reconcile")
	}
	return ".reconcile"
}

// NewLogger is the product's logger: text lines on stderr, level info.
func NewLogger() *slog.Logger {
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
