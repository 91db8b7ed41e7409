package schema

import (
	"fmt"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/ast/astutil"
	"cuelang.org/go/cue/format"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// checkingSchema derives from schema.cue the schema documents are unified
// with: the same constraints without defaults. Every `*d | rest` loses its
// default mark, and every regular field whose value has a default becomes
// optional. Defaults are the most expensive part of CUE's evaluation (each
// one is a disjunction and an arc in every object, present or not), and
// they are applied afterwards in Go from the default tree, which is read
// from the unmodified schema.cue (defaults.go). So schema.cue stays the one
// place where constraints and defaults are written.
//
// Where rest already admits d (`*1 | int & >=0`), the disjunction is
// dropped as well, leaving rest; subsumes reports that (it is evaluated
// with CUE against the original schema, see newDefaultTree).
func checkingSchema(src string, subsumes func(d, rest ast.Expr) bool) (string, error) {
	f, err := parser.ParseFile("schema.cue", src, parser.ParseComments)
	if err != nil {
		return "", fmt.Errorf("parse schema.cue: %w", err)
	}
	defs := map[string]ast.Expr{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.Field); ok {
			if name, _, err := ast.LabelName(fd.Label); err == nil {
				defs[name] = fd.Value
			}
		}
	}
	// Decide optionality on the original syntax, before marks are removed.
	astutil.Apply(f, func(c astutil.Cursor) bool {
		if fd, ok := c.Node().(*ast.Field); ok && fd.Constraint == token.ILLEGAL &&
			!isDefinitionLabel(fd.Label) && hasDefault(fd.Value, defs, 0) {
			fd.Constraint = token.OPTION
		}
		return true
	}, nil)
	astutil.Apply(f, nil, func(c astutil.Cursor) bool {
		b, ok := c.Node().(*ast.BinaryExpr)
		if !ok || b.Op != token.OR {
			return true
		}
		if u, ok := b.X.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			if subsumes(u.X, b.Y) {
				c.Replace(&ast.ParenExpr{X: b.Y})
				return true
			}
			b.X = u.X
		}
		if u, ok := b.Y.(*ast.UnaryExpr); ok && u.Op == token.MUL {
			b.Y = u.X
		}
		return true
	})
	out, err := format.Node(f)
	if err != nil {
		return "", fmt.Errorf("format the checking schema: %w", err)
	}
	return string(out), nil
}

// isDefinitionLabel tells whether a top-level label is a definition
// (#Protocol: *"TCP" | "UDP" keeps its place; the fields using it become
// optional instead).
func isDefinitionLabel(l ast.Label) bool {
	id, ok := l.(*ast.Ident)
	return ok && len(id.Name) > 0 && id.Name[0] == '#'
}

// hasDefault tells whether a field's value has a default at its top level:
// a marked disjunct, or a reference to a definition that has one.
func hasDefault(e ast.Expr, defs map[string]ast.Expr, depth int) bool {
	if depth > 20 {
		return false
	}
	switch x := e.(type) {
	case *ast.UnaryExpr:
		return x.Op == token.MUL
	case *ast.BinaryExpr:
		if x.Op == token.OR || x.Op == token.AND {
			return hasDefault(x.X, defs, depth+1) || hasDefault(x.Y, defs, depth+1)
		}
	case *ast.ParenExpr:
		return hasDefault(x.X, defs, depth+1)
	case *ast.Ident:
		if d, ok := defs[x.Name]; ok {
			return hasDefault(d, defs, depth+1)
		}
	}
	return false
}
