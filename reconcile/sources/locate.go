package sources

import (
	"context"
	"fmt"

	"github.com/reconcile-dev/reconcile/schema"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ManifestLine finds the line of key's document in file path of source at
// commit (the annotations reconcile.dev/source, source-path and commit of
// a stored object), for the Kubernetes API's answer to a write: "change
// web.yaml:12". It reads the file from the repository at that commit and
// runs the schema loader on it alone for its positions (a read of one
// file: writes through kubectl are rare, so nothing is recorded at apply
// time). 0 when the document is not found there.
func (m *Manager) ManifestLine(ctx context.Context, source, commit, path string, key objects.Key) (int, error) {
	r, err := m.runnerFor(source)
	if err != nil {
		return 0, err
	}
	snap, err := r.src.SnapshotOf(ctx, commit)
	if err != nil {
		return 0, err
	}
	for _, f := range snap.Files {
		if f.Path != path {
			continue
		}
		res := m.validator.Validate([]schema.File{f})
		line := 0
		for _, mf := range res.Manifests {
			k := objects.KeyOf(mf.Object)
			if k.Kind != key.Kind || k.Name != key.Name {
				continue
			}
			if line == 0 || k.Namespace == key.Namespace {
				line = mf.Line
			}
		}
		return line, nil
	}
	return 0, fmt.Errorf("source %q has no file %s at commit %s", source, path, commit)
}
