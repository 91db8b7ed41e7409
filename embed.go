// Package embedded carries files of the repository root into the binary.
// It lives at the root because go:embed cannot reach a parent directory.
package embedded

import _ "embed"

// SchemaCUE is schema.cue: the CUE definitions of every kind reconcile accepts.
//
//go:embed schema.cue
var SchemaCUE string
