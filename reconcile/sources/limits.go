package sources

import (
	"fmt"
	"os"

	"github.com/reconcile-dev/reconcile/schema"
)

// fileLimits is the limits section of a config file.
type fileLimits struct {
	MaxObjectBytes   int64 `json:"maxObjectBytes"`
	MaxCommitBytes   int64 `json:"maxCommitBytes"`
	MaxCommitObjects int   `json:"maxCommitObjects"`
}

// LoadLimits reads the limits section of a controller config file (zero
// fields where it sets none; schema.Limits.WithDefaults fills them).
func LoadLimits(file string) (schema.Limits, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return schema.Limits{}, fmt.Errorf("reading controller config: %w", err)
	}
	fc, _, err := parseConfigFile(file, data)
	if err != nil {
		return schema.Limits{}, err
	}
	return schema.Limits{MaxObjectBytes: fc.Limits.MaxObjectBytes, MaxCommitBytes: fc.Limits.MaxCommitBytes,
		MaxCommitObjects: fc.Limits.MaxCommitObjects}, nil
}
