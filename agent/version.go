package agent

import (
	"runtime/debug"
	"strings"
)

// buildVersion is set at link time by `make build`
// (-X github.com/reconcile-dev/reconcile/agent.buildVersion=$(git describe)).
var buildVersion string

// BuildVersion is the version of the running binary as the agent reports
// it in its Node's status.nodeInfo.kubeletVersion (`reconcile get nodes`,
// VERSION): what `make build` linked in (git describe), else the main
// module's version Go stamps from the git tag or commit
// (v0.0.0-20261207053358-8b26c60e1a2f, "+dirty" for a modified tree),
// else the commit from the VCS settings, else "devel" (-buildvcs=false).
func BuildVersion() string {
	if buildVersion != "" {
		return buildVersion
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	return versionOf(bi)
}

// versionOf is BuildVersion's pure part.
func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + strings.TrimSpace(rev[:min(12, len(rev))]) + dirty
}
