package schema

import (
	"github.com/reconcile-dev/reconcile/schema/excerpt"

	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"
	"cuelang.org/go/encoding/json"
	"cuelang.org/go/encoding/yaml"
)

// document is one object candidate of a file: a YAML document, a JSON
// file, or one object of a CUE file.
type document struct {
	// value is the document's own value: set for CUE objects, built on
	// demand for YAML and JSON (see evaluator.valueOf).
	value cue.Value
	// expr is the syntax of a YAML or JSON document; positions of fields
	// are found by walking it. Nil for CUE objects, whose values carry
	// their own positions.
	expr ast.Expr
	// prefix is the path of the object inside a CUE file (e.g. objects[2]),
	// empty for YAML and JSON.
	prefix string
	pos    token.Pos
}

// decodeFile splits a file into documents. Syntax errors come back as
// positioned Errors; the other documents of the file are still returned.
func decodeFile(ctx *cue.Context, f File) ([]document, []Error) {
	switch strings.ToLower(path.Ext(f.Path)) {
	case ".yaml", ".yml":
		return decodeYAML(f)
	case ".json":
		expr, err := json.Extract(f.Path, f.Data)
		if err != nil {
			return nil, syntaxErrors(f.Path, err)
		}
		return []document{{expr: expr, pos: expr.Pos()}}, nil
	case ".cue":
		return decodeCUE(ctx, f)
	}
	return nil, nil
}

func decodeYAML(f File) ([]document, []Error) {
	dec := yaml.NewDecoder(f.Path, bytes.NewReader(f.Data))
	var docs []document
	for {
		expr, err := dec.Extract()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			// The YAML decoder cannot resynchronise after a syntax error.
			return docs, syntaxErrors(f.Path, err)
		}
		if isNull(expr) {
			continue // an empty document, e.g. a trailing ---
		}
		docs = append(docs, document{expr: expr, pos: expr.Pos()})
	}
	return docs, nil
}

func isNull(e ast.Expr) bool {
	b, ok := e.(*ast.BasicLit)
	return ok && b.Kind == token.NULL
}

// decodeCUE evaluates a .cue file. Its objects are, in this order of
// preference: the elements of a top-level `objects` list; the file itself
// when it has a top-level kind; every top-level regular field whose value
// has a kind.
func decodeCUE(ctx *cue.Context, f File) ([]document, []Error) {
	v := ctx.CompileBytes(f.Data, cue.Filename(f.Path))
	if err := v.Err(); err != nil {
		return nil, cueErrors(f.Path, err, "")
	}
	var docs []document
	add := func(x cue.Value, prefix string) {
		docs = append(docs, document{value: x, prefix: prefix, pos: x.Pos()})
	}
	if list := v.LookupPath(cue.ParsePath("objects")); list.Exists() {
		it, err := list.List()
		if err != nil {
			return nil, cueErrors(f.Path, err, "")
		}
		for i := 0; it.Next(); i++ {
			add(it.Value(), fmt.Sprintf("objects[%d]", i))
		}
		return docs, nil
	}
	if v.LookupPath(cue.ParsePath("kind")).Exists() {
		add(v, "")
		return docs, nil
	}
	it, err := v.Fields()
	if err != nil {
		return nil, cueErrors(f.Path, err, "")
	}
	for it.Next() {
		if it.Value().LookupPath(cue.ParsePath("kind")).Exists() {
			add(it.Value(), it.Selector().String())
		}
	}
	if len(docs) == 0 {
		return nil, []Error{{Path: f.Path, Line: 1, Col: 1, Message: "no objects found: a .cue file needs a top-level `objects: [...]` list, " +
			"a top-level kind, or top-level fields whose values have a kind"}}
	}
	return docs, nil
}

var yamlLineRE = regexp.MustCompile(`^(?:line )?(\d+): `)

// syntaxErrors turns a decoder error into positioned Errors. go-yaml
// reports "line N" in its text rather than as a position.
func syntaxErrors(file string, err error) []Error {
	var out []Error
	for _, e := range cueerrors.Errors(err) {
		line, col := 0, 0
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() == file && p.Line() > 0 {
				line, col = p.Line(), p.Column()
				break
			}
		}
		msg := cueerrors.Details(e, nil)
		msg = strings.TrimSpace(strings.TrimPrefix(msg, file+":"))
		if line == 0 {
			if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
				line, _ = strconv.Atoi(m[1])
				col = 1
				msg = msg[len(m[0]):]
			}
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		out = append(out, Error{Path: file, Line: line, Col: col, Message: "syntax error: " + excerpt.Cut(msg)})
	}
	if len(out) == 0 {
		out = append(out, Error{Path: file, Message: "syntax error: " + excerpt.Cut(err.Error())})
	}
	return out
}
