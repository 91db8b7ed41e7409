package schema

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// defaultNode is the part of a definition of schema.cue that matters for
// defaults: which fields get a value when a manifest leaves them out, and
// where below them more defaults live. It is read once from the compiled
// schema.cue (newDefaultTree), so the defaults applied in Go are exactly the
// ones written there; the test TestDefaultsMatchCUE compares the result
// with CUE's own evaluation on every manifest of the test corpus.
type defaultNode struct {
	// fields are the fields with a default or with defaults below them,
	// in schema order.
	fields []*defaultField
	byName map[string]*defaultField
	// elem applies to every element when the value is a list.
	elem *defaultNode
}

type defaultField struct {
	name string
	// absent is the JSON CUE gives the field when a manifest leaves it
	// out (a default, or a struct of defaults such as strategy:
	// {type: "RollingUpdate"}); nil when the field is optional or has no
	// value of its own (a required field).
	absent []byte
	// sibling names the field whose value is the default, for a default
	// that refers to another field (targetPort: *port | ...).
	sibling string
	// node holds the defaults inside the field's value.
	node *defaultNode
}

func (n *defaultNode) field(name string) *defaultField {
	if n == nil {
		return nil
	}
	return n.byName[name]
}

// maxSchemaDepth bounds the walk over schema.cue (which has no recursive
// definitions; a recursive one would otherwise never end).
const maxSchemaDepth = 40

// newDefaultTree reads the defaults of a definition of the original
// schema.cue.
func newDefaultTree(def cue.Value) (*defaultNode, error) {
	return defaultsOf(def, 0)
}

func defaultsOf(v cue.Value, depth int) (*defaultNode, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("%s: schema nested deeper than %d levels", v.Path(), maxSchemaDepth)
	}
	switch v.IncompleteKind() {
	case cue.StructKind:
		return structDefaults(v, depth)
	case cue.ListKind:
		elem := v.LookupPath(cue.MakePath(cue.AnyIndex))
		if !elem.Exists() {
			return nil, nil
		}
		n, err := defaultsOf(elem, depth+1)
		if err != nil || n == nil {
			return nil, err
		}
		return &defaultNode{elem: n}, nil
	}
	return nil, nil
}

func structDefaults(v cue.Value, depth int) (*defaultNode, error) {
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil, fmt.Errorf("%s: %s", v.Path(), cueerrors.Details(err, nil))
	}
	n := &defaultNode{byName: map[string]*defaultField{}}
	for it.Next() {
		fv := it.Value()
		f := &defaultField{name: it.Selector().Unquoted()}
		if fv.Err() != nil {
			continue // a field that may not be set, e.g. metadata.uid
		}
		if !it.IsOptional() {
			absentValue(v, fv, f)
		}
		if f.node, err = defaultsOf(fv, depth+1); err != nil {
			return nil, err
		}
		if f.absent != nil || f.sibling != "" || f.node != nil {
			n.fields = append(n.fields, f)
			n.byName[f.name] = f
		}
	}
	if len(n.fields) == 0 {
		return nil, nil
	}
	return n, nil
}

// absentValue finds what CUE gives a regular field that a manifest leaves
// out: its default, or its value when that is concrete (a struct of
// defaults, or {} for a struct of optional fields). A field whose value is
// not concrete without the manifest (metadata.name, containers) has none:
// leaving it out is an error.
func absentValue(parent, fv cue.Value, f *defaultField) {
	if b, err := fv.MarshalJSON(); err == nil {
		f.absent = b
		return
	}
	if _, ok := fv.Default(); !ok {
		return
	}
	// A default that is not concrete on its own refers to another field
	// of the same object, as in `targetPort: *port | #PortRef`.
	if name := defaultIdent(fv.Source()); name != "" && parent.Allows(cue.Str(name)) {
		f.sibling = name
	}
	// Otherwise the field cannot be left out (containers: [#Container,
	// ...#Container] must have one element).
}

// defaultIdent returns the name in a `*name | ...` default, found in the
// syntax of a field's value.
func defaultIdent(n ast.Node) string {
	name := ""
	ast.Walk(n, func(n ast.Node) bool {
		if u, ok := n.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			if id, ok := u.X.(*ast.Ident); ok {
				name = id.Name
			}
		}
		return name == ""
	}, nil)
	return name
}

// String renders the tree, one field a line, for tests and debugging.
func (n *defaultNode) String() string {
	var b strings.Builder
	var walk func(n *defaultNode, indent string)
	walk = func(n *defaultNode, indent string) {
		if n == nil {
			return
		}
		if n.elem != nil {
			b.WriteString(indent + "[]\n")
			walk(n.elem, indent+"  ")
		}
		for _, f := range n.fields {
			b.WriteString(indent + f.name)
			if f.absent != nil {
				b.WriteString(": " + string(f.absent))
			}
			if f.sibling != "" {
				b.WriteString(": =" + f.sibling)
			}
			b.WriteByte('\n')
			walk(f.node, indent+"  ")
		}
	}
	walk(n, "")
	return b.String()
}
