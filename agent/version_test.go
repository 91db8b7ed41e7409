package agent

import (
	"runtime/debug"
	"testing"
)

func TestVersionOf(t *testing.T) {
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"stamped by go build", debug.BuildInfo{Main: debug.Module{Version: "v0.0.0-20261207053358-8b26c60e1a2f+dirty"}}, "v0.0.0-20261207053358-8b26c60e1a2f+dirty"},
		{"devel with a commit", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "8b26c60e1a2f3b4c5d6e"}, {Key: "vcs.modified", Value: "true"}}}, "devel-8b26c60e1a2f+dirty"},
		{"nothing known", debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
	}
	for _, tt := range tests {
		if got := versionOf(&tt.bi); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if BuildVersion() == "" {
		t.Error("BuildVersion is empty")
	}
}
