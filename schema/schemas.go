package schema

import (
	"fmt"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/format"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// schemas is what every evaluator shares, derived once from schema.cue:
// the checking schema documents are unified with (constraints without
// defaults) and the default tree of each kind. Both are read-only.
type schemas struct {
	original string // schema.cue as written
	checking string // schema.cue without defaults, see checkingSchema
	defaults map[string]*defaultNode
}

// derived caches newSchemas by source: the result is read-only, and the
// derivation (about 40 ms) need not be repeated for every Validator.
var derived struct {
	sync.Mutex
	bySource map[string]*schemas
}

func newSchemas(src string) (*schemas, error) {
	derived.Lock()
	defer derived.Unlock()
	if s, ok := derived.bySource[src]; ok {
		return s, nil
	}
	s, err := deriveSchemas(src)
	if err != nil {
		return nil, err
	}
	if derived.bySource == nil {
		derived.bySource = map[string]*schemas{}
	}
	derived.bySource[src] = s
	return s, nil
}

func deriveSchemas(src string) (*schemas, error) {
	ctx := cuecontext.New()
	orig := ctx.CompileString(src, cue.Filename("schema.cue"))
	if err := orig.Err(); err != nil {
		return nil, fmt.Errorf("compile schema.cue: %s", cueerrors.Details(err, nil))
	}
	s := &schemas{original: src, defaults: map[string]*defaultNode{}}
	for _, k := range objects.Kinds() {
		if !k.Manifest {
			continue
		}
		def, err := kindDefinition(orig, k.Kind)
		if err != nil {
			return nil, err
		}
		if s.defaults[k.Kind], err = newDefaultTree(def); err != nil {
			return nil, fmt.Errorf("schema.cue: defaults of %s: %w", k.Kind, err)
		}
	}
	// A default that its alternatives admit anyway (*1 | int & >=0) leaves
	// no disjunction behind in the checking schema.
	subsumes := func(d, rest ast.Expr) bool {
		if _, ok := d.(*ast.BasicLit); !ok {
			return false
		}
		r, err1 := format.Node(rest)
		l, err2 := format.Node(d)
		if err1 != nil || err2 != nil {
			return false
		}
		x := ctx.CompileString(fmt.Sprintf("(%s) & (%s)", r, l), cue.Scope(orig), cue.InferBuiltins(true))
		return x.Err() == nil && x.Validate(cue.Concrete(true)) == nil
	}
	var err error
	if s.checking, err = checkingSchema(src, subsumes); err != nil {
		return nil, err
	}
	return s, nil
}

func kindDefinition(schema cue.Value, kind string) (cue.Value, error) {
	d := schema.LookupPath(cue.MakePath(cue.Def("Kinds"), cue.Str(kind)))
	if !d.Exists() {
		return d, fmt.Errorf("schema.cue has no #Kinds.%s", kind)
	}
	if err := d.Err(); err != nil {
		return d, fmt.Errorf("schema.cue: #Kinds.%s: %s", kind, cueerrors.Details(err, nil))
	}
	return d, nil
}
