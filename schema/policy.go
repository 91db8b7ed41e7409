package schema

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// PolicyDir is the directory, at the root of a source's path, whose .cue
// files are policy rather than manifests.
const PolicyDir = "policy"

// IsPolicyFile tells whether a file of the tree is a policy file:
// policy/*.cue (not deeper: policy/lib/x.cue is not read, so a policy
// cannot hide).
func IsPolicyFile(p string) bool {
	return path.Dir(p) == PolicyDir && strings.EqualFold(path.Ext(p), ".cue")
}

// policySet is the policy files of one tree, identified by their content.
type policySet struct {
	hash  string
	files []File
}

// splitPolicy takes the policy files (and nested .cue files under policy/,
// reported by nestedPolicyErrors) out of files. A tree without policy has
// a nil policySet.
func splitPolicy(files []File) ([]File, *policySet) {
	underPolicy := func(f File) bool {
		return strings.HasPrefix(f.Path, PolicyDir+"/") && strings.EqualFold(path.Ext(f.Path), ".cue")
	}
	n := 0
	for _, f := range files {
		if underPolicy(f) {
			n++
		}
	}
	if n == 0 {
		return files, nil // the common case: no copy
	}
	var ps *policySet
	h := sha256.New()
	out := make([]File, 0, len(files)-n)
	for _, f := range files {
		if !underPolicy(f) {
			out = append(out, f)
			continue
		}
		if !IsPolicyFile(f.Path) {
			continue
		}
		if ps == nil {
			ps = &policySet{}
		}
		if f.Hash == "" {
			f.Hash = GitBlobHash(f.Data)
		}
		fmt.Fprintf(h, "%s\x00%s\x00", f.Path, f.Hash)
		ps.files = append(ps.files, f)
	}
	if ps != nil {
		ps.hash = hex.EncodeToString(h.Sum(nil))
	}
	return out, ps
}

// compiledPolicy is a policySet compiled into one evaluator's context:
// the constraint of each kind the policy names.
type compiledPolicy struct {
	hash  string
	kinds map[string]cue.Value
	files []File
}

// compilePolicy unifies the policy files into one value and takes its
// top-level fields named by kind (Deployment, Pod, …). Regular fields, not
// definitions: a definition is closed, and a policy constrains some fields
// of an object, allowing the rest.
func (e *evaluator) compilePolicy(ps *policySet) (*compiledPolicy, []Error) {
	cp := &compiledPolicy{hash: ps.hash, kinds: map[string]cue.Value{}, files: ps.files}
	var all cue.Value
	var errs []Error
	for i, f := range ps.files {
		v := e.ctx.CompileBytes(f.Data, cue.Filename(f.Path))
		if err := v.Err(); err != nil {
			errs = append(errs, policyErrors(f.Path, err)...)
			continue
		}
		if i == 0 || !all.Exists() {
			all = v
		} else {
			all = all.Unify(v)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := all.Validate(); err != nil {
		return nil, policyErrors(ps.files[0].Path, err)
	}
	it, err := all.Fields()
	if err != nil {
		return nil, policyErrors(ps.files[0].Path, err)
	}
	for it.Next() {
		name := it.Selector().Unquoted()
		k, ok := objects.Info(name)
		if !ok || !k.Manifest || k.Kind != name {
			errs = append(errs, e.policyFieldError(ps, it.Value(), name))
			continue
		}
		cp.kinds[name] = it.Value()
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return cp, nil
}

func (e *evaluator) policyFieldError(ps *policySet, v cue.Value, name string) Error {
	pe := Error{Path: ps.files[0].Path, Field: name, Message: fmt.Sprintf(
		"%q is not a kind: a policy's top-level fields are kinds (%s), each a constraint unified with every object of that kind",
		name, strings.Join(manifestKinds(), ", "))}
	if p := v.Pos(); p.IsValid() {
		pe.Path, pe.Line, pe.Col = p.Filename(), p.Line(), p.Column()
	}
	return pe
}

// policyErrors positions errors of a policy file that does not compile.
func policyErrors(file string, err error) []Error {
	out := cueErrors(file, err, "")
	for i := range out {
		out[i].Message = "policy does not compile: " + out[i].Message
	}
	return out
}

// checkPolicy unifies a document that passed the schema (u) with the
// policy of its kind. A violation is reported at the offending field of
// the manifest, saying which policy rule it breaks.
func (e *evaluator) checkPolicy(file, kind string, d *document, u cue.Value) []Error {
	if e.policy == nil {
		return nil
	}
	pv, ok := e.policy.kinds[kind]
	if !ok {
		return nil
	}
	err := pv.Unify(u).Validate(cue.Concrete(true))
	if err == nil {
		return nil
	}
	var out []Error
	seen := map[string]bool{}
	for _, ce := range cueerrors.Errors(err) {
		format, args := ce.Msg()
		if strings.Contains(format, "errors in empty disjunction") {
			continue // a summary; each alternative's error follows
		}
		sels := unquoteSels(ce.Path())
		if len(sels) > 0 && sels[0] == kind {
			sels = sels[1:]
		}
		msg := "policy: " + fmt.Sprintf(format, args...)
		for _, p := range cueerrors.Positions(ce) {
			if IsPolicyFile(p.Filename()) {
				msg += fmt.Sprintf(" (rule at %s:%d:%d)", p.Filename(), p.Line(), p.Column())
				break
			}
		}
		if seen[strings.Join(sels, ".")+msg] {
			continue
		}
		seen[strings.Join(sels, ".")+msg] = true
		out = append(out, e.valueOf(d).errorAt(file, sels, msg, false))
	}
	return out
}

// setPolicy makes the evaluator check against ps (nil: no policy),
// compiling it unless it already holds that policy.
func (e *evaluator) setPolicy(ps *policySet) []Error {
	if ps == nil {
		e.policy = nil
		return nil
	}
	if e.policy != nil && e.policy.hash == ps.hash {
		return nil
	}
	cp, errs := e.compilePolicy(ps)
	e.policy = cp
	return errs
}

func manifestKinds() []string {
	var out []string
	for _, k := range objects.Kinds() {
		if k.Manifest {
			out = append(out, k.Kind)
		}
	}
	return out
}

// nestedPolicyErrors refuses .cue files below policy/'s first level: they
// would be neither policy (only policy/*.cue is) nor sensible manifests.
func nestedPolicyErrors(files []File) []Error {
	var out []Error
	for _, f := range files {
		if strings.HasPrefix(f.Path, PolicyDir+"/") && !IsPolicyFile(f.Path) && strings.EqualFold(path.Ext(f.Path), ".cue") {
			out = append(out, Error{Path: f.Path, Message: "only policy/*.cue files are policy: move this file directly into policy/ (CUE files deeper are not read as policy)"})
		}
	}
	return out
}
