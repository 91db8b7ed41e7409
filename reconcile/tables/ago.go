package tables

import (
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/util/duration"
)

// ago renders how long before now t was as kubectl's AGE and LAST SEEN
// columns do (duration.HumanDuration: 45s, 3m20s, 5h, 3d4h); a time a
// little ahead of now (clock skew between nodes) reads 0s.
func ago(t, now time.Time) string {
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(max(now.Sub(t), 0))
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
