package objects

import (
	"strings"
	"testing"
)

// resolveByScan is Resolve as it was before its table: the first kind in
// apply order one of whose names matches.
func resolveByScan(name string) (KindInfo, bool) {
	l := strings.ToLower(name)
	for _, k := range kinds {
		if strings.ToLower(k.Kind) == l || k.Plural == l {
			return k, true
		}
		for _, s := range k.Short {
			if s == l {
				return k, true
			}
		}
	}
	return KindInfo{}, false
}

// Resolve's table answers what the scan over the kinds answered, for
// every name, plural and short name of every kind in any case, and for
// names that are none.
func TestResolveTableIsTheScan(t *testing.T) {
	names := []string{"", "nope", "pod", "Pods", "PO", "deploy", "Deployment", "ep"}
	for _, k := range kinds {
		names = append(names, k.Kind, strings.ToLower(k.Kind), strings.ToUpper(k.Plural), k.Plural)
		names = append(names, k.Short...)
	}
	for _, n := range names {
		got, ok := Resolve(n)
		want, wantOK := resolveByScan(n)
		if ok != wantOK || got.Kind != want.Kind {
			t.Errorf("Resolve(%q) = %s, %v; the scan finds %s, %v", n, got.Kind, ok, want.Kind, wantOK)
		}
	}
}
