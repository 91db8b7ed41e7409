package schema

import (
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
)

// errors converts a failed validation of this document into Errors, one
// per field, each at the position of the offending field in the user's
// file. def is the kind's definition, used to find every field it does not
// allow (CUE reports only some of them once a struct has another error).
func (d document) errors(file string, err error, def cue.Value) []Error {
	var raws []rawError
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		raws = append(raws, rawError{sels: trimDefPath(e.Path()), msg: fmt.Sprintf(format, args...)})
	}
	refused := map[string]bool{}
	for _, p := range notAllowed(def, d.value) {
		raws = append(raws, rawError{sels: p, msg: "field not allowed"})
		refused[strings.Join(p, "\x00")] = true
	}
	raws = withoutInsideRefused(raws, refused)
	// Group by field, keeping the order of first appearance.
	var order []string
	groups := map[string]*rawError{}
	msgs := map[string][]string{}
	for i := range raws {
		k := strings.Join(raws[i].sels, "\x00")
		if _, ok := groups[k]; !ok {
			order = append(order, k)
			groups[k] = &raws[i]
		}
		msgs[k] = append(msgs[k], raws[i].msg)
	}
	var out []Error
	for _, k := range order {
		sels := groups[k].sels
		msg, atLabel := d.explain(sels, msgs[k])
		out = append(out, d.errorAt(file, sels, msg, atLabel))
	}
	return out
}

// errorAt builds an Error for the field at sels (relative to the document),
// positioned at the field's key when atLabel, else at its value. A field
// that does not exist (a missing required field) is reported at the
// nearest enclosing field that does.
func (d document) errorAt(file string, sels []string, msg string, atLabel bool) Error {
	pos := d.pos
	if d.expr != nil {
		pos = locate(d.expr, unquoteSels(sels), atLabel, d.pos)
	} else {
		v := d.value
		for _, s := range sels {
			next := v.LookupPath(cue.MakePath(selector(s)))
			if !next.Exists() {
				break
			}
			v = next
		}
		if p := v.Pos(); p.IsValid() {
			pos = p
		}
	}
	field := fieldPath(sels)
	if d.prefix != "" {
		field = strings.TrimSuffix(d.prefix+"."+field, ".")
	}
	return Error{Path: file, Line: pos.Line(), Col: pos.Column(), Field: field, Message: msg}
}

func selector(s string) cue.Selector {
	if i, err := strconv.Atoi(s); err == nil {
		return cue.Index(i)
	}
	if uq, err := strconv.Unquote(s); err == nil {
		s = uq
	}
	return cue.Str(s)
}

// locate walks YAML/JSON syntax along sels and returns the position of the
// deepest field found.
func locate(expr ast.Expr, sels []string, atLabel bool, fallback token.Pos) token.Pos {
	pos := fallback
	cur := expr
	for _, s := range sels {
		switch x := cur.(type) {
		case *ast.StructLit:
			f := findField(x, s)
			if f == nil {
				return pos
			}
			pos = f.Label.Pos()
			cur = f.Value
			if !atLabel {
				if vp := f.Value.Pos(); vp.IsValid() {
					pos = vp
				}
			}
		case *ast.ListLit:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(x.Elts) {
				return pos
			}
			cur = x.Elts[i]
			pos = cur.Pos()
		default:
			return pos
		}
	}
	// A field's key is where a person looks for a field that is not
	// allowed; for a bad value, the value.
	return pos
}

func findField(s *ast.StructLit, name string) *ast.Field {
	for _, el := range s.Elts {
		f, ok := el.(*ast.Field)
		if !ok {
			continue
		}
		l, _, err := ast.LabelName(f.Label)
		if err == nil && l == name {
			return f
		}
	}
	return nil
}

// cueErrors converts errors that are not tied to one document (a .cue file
// that does not compile) into Errors positioned in file.
func cueErrors(file string, err error, prefix string) []Error {
	var out []Error
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		pe := Error{Path: file, Field: fieldPath(e.Path()), Message: fmt.Sprintf(format, args...)}
		if prefix != "" {
			pe.Field = strings.TrimSuffix(prefix+"."+pe.Field, ".")
		}
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() == file {
				pe.Line, pe.Col = p.Line(), p.Column()
				break
			}
		}
		out = append(out, pe)
	}
	return out
}

// trimDefPath drops the #Kinds.Kind prefix CUE puts on paths of errors
// found while unifying with a definition, leaving the path in the manifest.
func trimDefPath(sels []string) []string {
	if len(sels) >= 2 && sels[0] == "#Kinds" {
		sels = sels[2:]
	}
	return unquoteSels(sels)
}

// withoutInsideRefused drops errors about fields inside a field that is
// itself not allowed: "remove rollbackTo" says all there is to say, CUE's
// extra report on rollbackTo.revision only repeats it.
func withoutInsideRefused(raws []rawError, refused map[string]bool) []rawError {
	out := raws[:0]
	for _, r := range raws {
		inside := false
		for i := 1; i < len(r.sels) && !inside; i++ {
			inside = refused[strings.Join(r.sels[:i], "\x00")]
		}
		if !inside {
			out = append(out, r)
		}
	}
	return out
}
