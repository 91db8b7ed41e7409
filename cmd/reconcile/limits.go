package main

import (
	"github.com/spf13/pflag"

	"github.com/reconcile-dev/reconcile/reconcile/sources"
	"github.com/reconcile-dev/reconcile/schema"
)

// limitFlags are the per-object and per-commit limits (schema.Limits); 0
// means the config file's value, else the default.
type limitFlags struct{ l schema.Limits }

func (f *limitFlags) register(fl *pflag.FlagSet) {
	fl.Int64Var(&f.l.MaxObjectBytes, "max-object-bytes", 0, "largest object (its JSON) a commit may hold (default 1 MiB, as Kubernetes; config: limits.maxObjectBytes)")
	fl.Int64Var(&f.l.MaxCommitBytes, "max-commit-bytes", 0, "largest total of a commit's objects (default 64 MiB; config: limits.maxCommitBytes)")
	fl.IntVar(&f.l.MaxCommitObjects, "max-commit-objects", 0, "most objects in one commit (default 10000; config: limits.maxCommitObjects)")
}

// resolve: flags first, then the config file (when given), then defaults.
func (f *limitFlags) resolve(configFile string) (schema.Limits, error) {
	l := f.l
	if configFile != "" {
		c, err := sources.LoadLimits(configFile)
		if err != nil {
			return l, err
		}
		l = l.Or(c)
	}
	return l.WithDefaults(), nil
}

// newLimitedValidator is schema.NewValidator with the limits of f.
func newLimitedValidator(f *limitFlags, configFile string) (*schema.Validator, error) {
	l, err := f.resolve(configFile)
	if err != nil {
		return nil, err
	}
	v, err := schema.NewValidator()
	if err != nil {
		return nil, err
	}
	v.SetLimits(l)
	return v, nil
}
