package reconcile

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// recordDrift notes in status what a drift check's plan found and says
// whether the plan must be executed (heal with changes).
func recordDrift(status *SourceStatus, mode DriftMode, p Plan, now time.Time) bool {
	if len(p.Changes) == 0 {
		status.Drift.Unrepaired = nil
		return false
	}
	var keys []string
	for _, c := range p.Changes {
		keys = append(keys, c.Key.String())
	}
	d := &status.Drift
	heal := mode != DriftWarn
	newly := len(keys)
	if !heal {
		newly = 0
		for _, k := range keys {
			if !slices.Contains(d.Unrepaired, k) {
				newly++
			}
		}
		d.Unrepaired = keys
	} else {
		d.Repaired += len(keys)
		d.Unrepaired = nil
	}
	d.Found += newly
	if newly > 0 || heal {
		c := p.Changes[0]
		d.Last = &DriftRecord{At: now, Object: c.Key.String(), Change: driftChange(c), Repaired: heal}
	}
	return heal
}

// driftChange says in a line how an object differs from git (Secret values
// are already masked in Fields).
func driftChange(c Change) string {
	switch c.Action {
	case Create:
		return "deleted outside git"
	case Delete:
		return "no longer in git but still stored"
	}
	var parts []string
	for _, f := range c.Fields {
		parts = append(parts, fmt.Sprintf("%s is %s, git has %s", f.Path, show(f.Old), show(f.New)))
		if len(parts) == 3 {
			break
		}
	}
	if more := len(c.Fields) - len(parts); more > 0 {
		parts = append(parts, fmt.Sprintf("and %d more", more))
	}
	return strings.Join(parts, ", ")
}

func show(v any) string {
	if v == nil {
		return "(none)"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:57]) + "..."
	}
	return string(b)
}
