package main

import (
	"errors"
	"path/filepath"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/sources"
)

// sourceConfigs returns the git sources the controller runs: those of the
// --config file, or the one source the --repo flags describe.
func sourceConfigs(f *controllerFlags) ([]sources.Config, error) {
	cache := filepath.Join(f.data, "git")
	switch {
	case f.config != "" && f.repo != "":
		return nil, errors.New("give either --config (sources declared in a file) or --repo (one source), not both")
	case f.config != "":
		return sources.LoadConfig(f.config, cache)
	case f.repo == "":
		return nil, errors.New("no git source: give --repo PATH|URL, or --config FILE declaring the sources (see examples/controller.yaml)")
	}
	return []sources.Config{{
		Config: gitsync.Config{Name: f.name, URL: f.repo, Ref: f.branch, Path: f.path, PollInterval: f.poll,
			TokenFile: f.tokenFile, SSHKeyFile: f.sshKey, CacheDir: cache},
		Prune: !f.noPrune, AllowEmpty: f.allowEmpty,
	}}, nil
}
