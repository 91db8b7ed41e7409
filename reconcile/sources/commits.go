package sources

import (
	"context"
	"fmt"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile"
)

// File returns the content of one file of a source at a commit: the web
// UI's "manifest from git" beside the live object (the object's
// reconcile.dev/source-path at its reconcile.dev/commit). It reads the
// commit as rollback does (SnapshotOf: a local repo, or the remote's
// cache). path is relative to the source's path, as the annotation is.
func (m *Manager) File(ctx context.Context, source, commit, path string) ([]byte, error) {
	r, err := m.runnerFor(source)
	if err != nil {
		return nil, err
	}
	snap, err := r.src.SnapshotOf(ctx, commit)
	if err != nil {
		return nil, err
	}
	for _, f := range snap.Files {
		if f.Path == path {
			if f.Data == nil {
				return nil, fmt.Errorf("source %q: %s at %s is a symlink or too large to show", r.name, path, short(snap.Commit))
			}
			return f.Data, nil
		}
	}
	return nil, fmt.Errorf("source %q: no file %s at commit %s", r.name, path, short(snap.Commit))
}

// Diff returns the plan that turns commit from into commit to of a source,
// as `reconcile diff --repo --base --head` computes it offline (both trees
// validated, from stamped as this source's so that what to drops shows as
// deletions), with the source's target namespace applied. Secret values
// are never decrypted here: the plan masks them anyway.
func (m *Manager) Diff(ctx context.Context, source, from, to string) (reconcile.Plan, error) {
	r, err := m.runnerFor(source)
	if err != nil {
		return reconcile.Plan{}, err
	}
	load := func(commit string) ([]reconcile.Desired, error) {
		snap, err := r.src.SnapshotOf(ctx, commit)
		if err != nil {
			return nil, err
		}
		res := m.validator.Validate(snap.Files)
		if len(res.Errors) > 0 {
			msgs := errorStrings(res.Errors)
			return nil, fmt.Errorf("commit %s of source %q is invalid, no plan: %s", short(snap.Commit), r.name, strings.Join(msgs, "; "))
		}
		out := make([]reconcile.Desired, 0, len(res.Manifests))
		for _, man := range res.Manifests {
			out = append(out, reconcile.Desired{Object: man.Object, Path: man.Path, Line: man.Line, Col: man.Col})
		}
		return targetNamespace(out, r.cfg.Namespace), nil
	}
	base, err := load(from)
	if err != nil {
		return reconcile.Plan{}, err
	}
	head, err := load(to)
	if err != nil {
		return reconcile.Plan{}, err
	}
	plan := reconcile.PlanChanges(head, reconcile.Stamp(base, r.name), reconcile.PlanOptions{Source: r.name, Prune: true})
	return plan, nil
}
