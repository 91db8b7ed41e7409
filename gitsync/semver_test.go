package gitsync

import (
	"strings"
	"testing"
)

func TestIsSemverRange(t *testing.T) {
	for ref, want := range map[string]bool{
		">=1.2.0 <2.0.0": true, "~1.4": true, "^2": true, "1.x": true, "v1.2.x": true, "*": true,
		"main": false, "v1.2.3": false, "release/1.x-fixes": false, "1.2.3": false, "deadbeef": false,
	} {
		if got := IsSemverRange(ref); got != want {
			t.Errorf("IsSemverRange(%q) = %v, want %v", ref, got, want)
		}
	}
}

func TestPickSemverTag(t *testing.T) {
	tags := []string{"v1.2.0", "v1.4.1", "v1.4.9", "1.5.0", "v2.0.0-rc.1", "v2.0.0", "v2.3.1", "latest", "v3.0.0-beta"}
	for rng, want := range map[string]string{
		">=1.2.0 <2.0.0": "1.5.0",
		"~1.4":           "v1.4.9",
		"^2":             "v2.3.1",
		"1.x":            "1.5.0",
		"<1.3":           "v1.2.0",
		">=3.0.0-0":      "v3.0.0-beta",
	} {
		got, err := pickSemverTag(rng, tags, "repo")
		if err != nil || got != want {
			t.Errorf("pickSemverTag(%q) = %q, %v; want %q", rng, got, err, want)
		}
	}
	if _, err := pickSemverTag("^9", tags, "repo"); err == nil || !strings.Contains(err.Error(), `no tag of repo satisfies the semver range "^9" (8 version tags)`) {
		t.Errorf("no match: %v", err)
	}
	if _, err := pickSemverTag(">=x<", tags, "repo"); err == nil || !strings.Contains(err.Error(), "nor a valid semver range") {
		t.Errorf("bad range: %v", err)
	}
}
