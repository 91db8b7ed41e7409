// Package schema loads a tree of desired-state files and validates every
// object in it against schema.cue (embedded in the binary), returning typed,
// defaulted Kubernetes objects or every error at once, each as
// path:line:col: field.path: message.
//
// Files: .yaml and .yml (multi-document; empty documents are skipped), .json
// (one object), and .cue. Other files are ignored. A .cue file is evaluated
// on its own (no imports beyond CUE's standard library) and its objects are,
// in this order of preference:
//
//   - the elements of a top-level `objects: [...]` list;
//   - the file itself, when it has a top-level `kind`;
//   - every top-level regular field whose value has a `kind`
//     (hidden fields such as `_app: "web"` can hold shared values).
//
// Rules beyond the schema: files over 10 MiB are rejected unread; symlinks
// that leave the tree are rejected, in-tree symlinks are skipped (their
// target is loaded under its own path); YAML aliases that expand to more
// than 50,000 nodes are rejected; an object defined twice (same kind,
// namespace and name) is an error naming both places.
//
// Defaults: schema.cue holds the Kubernetes defaults; the few that depend on
// another field (imagePullPolicy by image tag, rolling update parameters by
// strategy type, session affinity timeout) and the API server's merge of
// Secret stringData into data are applied in Go after validation
// (normalize), as are cross-field checks (selector matches template labels,
// volume mounts name existing volumes, service port names).
//
// How a document is validated (schemas.go): schema.cue is compiled once and
// two things are derived from it. The checking schema (rewrite.go) is
// schema.cue without defaults: `*d | rest` loses its mark (or becomes rest
// when rest admits d) and a regular field with a default becomes optional.
// The default tree (defaults.go) records, per kind, what CUE gives every
// field a manifest leaves out. A YAML or JSON document is unified with the
// checking schema; once it is valid, its own syntax is written as JSON with
// the default tree's values filled in (tojson.go) and decoded into the
// Kubernetes type. This costs about half of unifying with the defaults and
// asking CUE for the JSON; TestDefaultsMatchCUE proves on the whole test
// corpus that validity and every object are identical to CUE's evaluation
// of schema.cue as written. .cue files, and YAML CUE has no JSON form for
// (!!binary, .inf), still get their JSON from CUE.
//
// Performance: each worker goroutine (GOMAXPROCS of them) owns a CUE context
// with the checking schema compiled once; results are cached per file path
// and git blob hash, so re-validating a tree after a commit evaluates only
// the changed files. During a batch of 256 files or more the GC target is
// raised to 800 % (gc.go): evaluation garbage is short-lived and the live
// heap small. Objects returned are shared with the cache: do not modify
// them, copy them with objects.Copy first.
package schema
