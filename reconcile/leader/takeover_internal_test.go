package leader

import (
	"testing"
	"time"
)

// A take-over needs the same leader gone at every probe for GoneAfter; a
// probe that finds it alive, or another leader, starts the count again.
func TestGoneSince(t *testing.T) {
	t0 := time.Unix(1000, 0)
	type probe struct {
		key  string
		rev  int64
		gone bool
		at   time.Duration // when the probe ended
		want bool
		took time.Duration // how long the probe took
	}
	for _, tc := range []struct {
		name   string
		probes []probe
	}{
		{"gone for 2 s", []probe{{"k1", 5, true, 0, false, 0}, {"k1", 5, true, time.Second, false, 0}, {"k1", 5, true, 2 * time.Second, true, 0}}},
		{"alive once in between", []probe{{"k1", 5, true, 0, false, 0}, {"k1", 5, false, time.Second, false, 0}, {"k1", 5, true, 2 * time.Second, false, 0}, {"k1", 5, true, 4 * time.Second, true, 0}}},
		{"counted from the first gone probe's start", []probe{{"k1", 5, true, time.Second, false, 900 * time.Millisecond}, {"k1", 5, true, 2100 * time.Millisecond, true, 900 * time.Millisecond}}},
		{"never gone", []probe{{"k1", 5, false, 0, false, 0}, {"k1", 5, false, 10 * time.Second, false, 0}}},
		{"another leader", []probe{{"k1", 5, true, 0, false, 0}, {"k2", 9, true, 2 * time.Second, false, 0}, {"k2", 9, true, 3 * time.Second, false, 0}, {"k2", 9, true, 4 * time.Second, true, 0}}},
		{"same key, new election", []probe{{"k1", 5, true, 0, false, 0}, {"k1", 7, true, 2 * time.Second, false, 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g goneSince
			for i, p := range tc.probes {
				if got := g.observe(p.key, p.rev, p.gone, t0.Add(p.at-p.took), t0.Add(p.at), 2*time.Second); got != p.want {
					t.Errorf("probe %d (%+v): revoke %v, want %v", i, p, got, p.want)
				}
			}
		})
	}
}
