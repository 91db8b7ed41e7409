package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// evaluator is one CUE context with the checking schema compiled into it.
// A cue.Context is not meant for concurrent evaluation, so each worker
// goroutine takes its own evaluator from the Validator's pool.
type evaluator struct {
	schemas *schemas
	ctx     *cue.Context
	kinds   map[string]cue.Value // kind → #Definition of the checking schema
	// original holds the definitions of schema.cue as written, compiled
	// on first use: documents whose syntax appendJSON does not convert
	// (.cue files, YAML !!binary) get their JSON from CUE.
	original map[string]cue.Value
	buf      []byte // JSON of the current document, reused
	// uses counts evaluated documents; the context is rebuilt after
	// maxEvaluatorUses so that what CUE interns (labels of user data)
	// cannot grow without bound in a long-running controller.
	uses int
	// policy is the tree's policy/*.cue compiled in ctx (policy.go); nil
	// without one.
	policy *compiledPolicy
}

const maxEvaluatorUses = 200_000

// maxKeptBuffer: an evaluator keeps its JSON buffer between documents only
// up to this capacity.
const maxKeptBuffer = 1 << 20

func newEvaluator(s *schemas) (*evaluator, error) {
	ctx := cuecontext.New()
	e := &evaluator{schemas: s, ctx: ctx}
	var err error
	if _, e.kinds, err = compileKinds(ctx, s.checking); err != nil {
		return nil, err
	}
	return e, nil
}

func compileKinds(ctx *cue.Context, src string) (cue.Value, map[string]cue.Value, error) {
	s := ctx.CompileString(src, cue.Filename("schema.cue"))
	if err := s.Err(); err != nil {
		return s, nil, fmt.Errorf("compile schema.cue: %s", cueerrors.Details(err, nil))
	}
	kinds := map[string]cue.Value{}
	for _, k := range objects.Kinds() {
		if !k.Manifest {
			continue
		}
		d, err := kindDefinition(s, k.Kind)
		if err != nil {
			return s, nil, err
		}
		kinds[k.Kind] = d
	}
	return s, kinds, nil
}

// fullJSON is the JSON of a valid document as CUE computes it: unified
// with schema.cue as written, defaults included.
func (e *evaluator) fullJSON(kind string, v cue.Value) ([]byte, error) {
	if e.original == nil {
		_, kinds, err := compileKinds(e.ctx, e.schemas.original)
		if err != nil {
			return nil, err
		}
		e.original = kinds
	}
	return e.original[kind].Unify(v).MarshalJSON()
}

// check validates a file: decodes its documents, unifies each with its
// kind's definition, and returns typed objects or errors.
func (e *evaluator) check(f File) fileResult {
	var res fileResult
	docs, errs := decodeFile(e.ctx, f)
	res.errors = append(res.errors, errs...)
	for i := range docs {
		e.uses++
		m, errs := e.checkDocument(f.Path, &docs[i])
		if len(errs) > 0 {
			if vals := e.secretValues(&docs[i]); vals != nil {
				errs = redactSecretErrors(errs, vals)
			}
			res.errors = append(res.errors, errs...)
			continue
		}
		res.manifests = append(res.manifests, m)
	}
	return res
}

func (e *evaluator) checkDocument(file string, d *document) (Manifest, []Error) {
	line, col := d.pos.Line(), d.pos.Column()
	at := func(sels []string, msg string) []Error {
		return []Error{d.errorAt(file, sels, msg, false)}
	}
	var kind string
	var u cue.Value
	if k, ok := e.quickKind(d.expr); ok {
		// The common case, a YAML or JSON object of a known kind and
		// apiVersion, read from the syntax without evaluating it.
		kind = k
		u = e.kinds[kind].Unify(e.valueOf(d).value)
	} else {
		var errs []Error
		if kind, u, errs = e.header(file, d); errs != nil {
			return Manifest{}, errs
		}
	}
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return Manifest{}, e.valueOf(d).errors(file, err, e.kinds[kind])
	}
	if errs := e.checkPolicy(file, kind, d, u); len(errs) > 0 {
		return Manifest{}, errs
	}
	o, err := e.decode(kind, d)
	if err != nil {
		return Manifest{}, at(nil, "cannot decode into "+kind+": "+err.Error())
	}
	if errs := semanticChecks(o); len(errs) > 0 {
		out := make([]Error, 0, len(errs))
		for _, se := range errs {
			out = append(out, d.errorAt(file, se.path, se.msg, false))
		}
		return Manifest{}, out
	}
	normalize(o)
	size := int64(len(e.buf))
	if cap(e.buf) > maxKeptBuffer {
		e.buf = nil // pooled evaluators must not keep a large document's JSON
	}
	return Manifest{Object: o, Path: file, Line: line, Col: col, key: objects.KeyOf(o), size: size}, nil
}

// quickKind reads kind from the syntax of a YAML or JSON document when
// kind and apiVersion are string literals of a kind the schema defines.
// Anything else goes through header, which explains what is wrong.
func (e *evaluator) quickKind(expr ast.Expr) (string, bool) {
	s, ok := expr.(*ast.StructLit)
	if !ok {
		return "", false
	}
	kind, ok := stringField(s, "kind")
	if _, known := e.kinds[kind]; !ok || !known {
		return "", false
	}
	apiVersion, ok := stringField(s, "apiVersion")
	if info, _ := objects.Info(kind); !ok || apiVersion != info.APIVersion {
		return "", false
	}
	return kind, true
}

func stringField(s *ast.StructLit, name string) (string, bool) {
	f := findField(s, name)
	if f == nil {
		return "", false
	}
	lit, ok := f.Value.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	v, err := literal.Unquote(lit.Value)
	return v, err == nil
}

// valueOf returns the document's own CUE value, built on first use (YAML
// and JSON documents need it only to explain errors).
func (e *evaluator) valueOf(d *document) *document {
	if !d.value.Exists() && d.expr != nil {
		d.value = e.ctx.BuildExpr(d.expr)
	}
	return d
}

// header checks a document's kind and apiVersion and unifies it with its
// kind's definition.
func (e *evaluator) header(file string, d *document) (string, cue.Value, []Error) {
	at := func(sels []string, msg string) []Error {
		return []Error{d.errorAt(file, sels, msg, false)}
	}
	e.valueOf(d)
	if err := d.value.Err(); err != nil {
		return "", cue.Value{}, cueErrors(file, err, d.prefix)
	}
	if d.value.IncompleteKind() != cue.StructKind {
		return "", cue.Value{}, at(nil, "expected an object with apiVersion and kind, found "+d.value.IncompleteKind().String())
	}
	kind, err := d.value.LookupPath(cue.ParsePath("kind")).String()
	if err != nil {
		return "", cue.Value{}, at(nil, "kind is missing or not a string; every object needs apiVersion and kind (known kinds: "+
			strings.Join(objects.KindNames(true), ", ")+")")
	}
	def, ok := e.kinds[kind]
	if !ok {
		if info, known := objects.Info(kind); known && !info.Manifest {
			return "", cue.Value{}, at([]string{"kind"}, kind+" objects are written by reconcile itself and cannot come from a repository")
		}
		return "", cue.Value{}, at([]string{"kind"}, fmt.Sprintf("unknown kind %q; known kinds: %s", kind, strings.Join(objects.KindNames(true), ", ")))
	}
	info, _ := objects.Info(kind)
	apiVersion, err := d.value.LookupPath(cue.ParsePath("apiVersion")).String()
	if err != nil {
		return "", cue.Value{}, at(nil, fmt.Sprintf("apiVersion is missing or not a string; %s is %q", kind, info.APIVersion))
	}
	if apiVersion != info.APIVersion {
		return "", cue.Value{}, at([]string{"apiVersion"}, fmt.Sprintf("apiVersion %q is not supported for %s; use %q", apiVersion, kind, info.APIVersion))
	}
	return kind, def.Unify(d.value), nil
}

// decode turns a valid document into its typed object with the defaults of
// schema.cue applied.
func (e *evaluator) decode(kind string, d *document) (objects.Object, error) {
	var err error
	if d.expr != nil {
		e.buf, err = appendJSON(e.buf[:0], d.expr, e.schemas.defaults[kind])
	}
	if d.expr == nil || errors.Is(err, errUnsupportedSyntax) {
		e.buf, err = e.fullJSON(kind, e.valueOf(d).value)
	}
	if err != nil {
		return nil, err
	}
	o, err := objects.New(kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(e.buf, o); err != nil {
		return nil, err
	}
	objects.SetTypeMeta(o, kind)
	return o, nil
}
