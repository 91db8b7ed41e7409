package schema

import (
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// evaluator is one CUE context with the schema compiled into it. A
// cue.Context is not meant for concurrent evaluation, so each worker
// goroutine takes its own evaluator from the Validator's pool.
type evaluator struct {
	ctx   *cue.Context
	kinds map[string]cue.Value // kind → #Definition
	// uses counts evaluated documents; the context is rebuilt after
	// maxEvaluatorUses so that what CUE interns (labels of user data)
	// cannot grow without bound in a long-running controller.
	uses int
}

const maxEvaluatorUses = 200_000

func newEvaluator(src string) (*evaluator, error) {
	ctx := cuecontext.New()
	s := ctx.CompileString(src, cue.Filename("schema.cue"))
	if err := s.Err(); err != nil {
		return nil, fmt.Errorf("compile schema.cue: %s", cueerrors.Details(err, nil))
	}
	e := &evaluator{ctx: ctx, kinds: map[string]cue.Value{}}
	for _, k := range objects.Kinds() {
		if !k.Manifest {
			continue
		}
		d := s.LookupPath(cue.MakePath(cue.Def("Kinds"), cue.Str(k.Kind)))
		if !d.Exists() {
			return nil, fmt.Errorf("schema.cue has no #Kinds.%s", k.Kind)
		}
		if err := d.Err(); err != nil {
			return nil, fmt.Errorf("schema.cue: #Kinds.%s: %s", k.Kind, cueerrors.Details(err, nil))
		}
		e.kinds[k.Kind] = d
	}
	return e, nil
}

// check validates a file: decodes its documents, unifies each with its
// kind's definition, and returns typed objects or errors.
func (e *evaluator) check(f File) fileResult {
	var res fileResult
	docs, errs := decodeFile(e.ctx, f)
	res.errors = append(res.errors, errs...)
	for _, d := range docs {
		e.uses++
		m, errs := e.checkDocument(f.Path, d)
		if len(errs) > 0 {
			res.errors = append(res.errors, errs...)
			continue
		}
		res.manifests = append(res.manifests, m)
	}
	return res
}

func (e *evaluator) checkDocument(file string, d document) (Manifest, []Error) {
	line, col := d.pos.Line(), d.pos.Column()
	at := func(sels []string, msg string) []Error {
		return []Error{d.errorAt(file, sels, msg, false)}
	}
	if err := d.value.Err(); err != nil {
		return Manifest{}, cueErrors(file, err, d.prefix)
	}
	if d.value.IncompleteKind() != cue.StructKind {
		return Manifest{}, at(nil, "expected an object with apiVersion and kind, found "+d.value.IncompleteKind().String())
	}
	kind, err := d.value.LookupPath(cue.ParsePath("kind")).String()
	if err != nil {
		return Manifest{}, at(nil, "kind is missing or not a string; every object needs apiVersion and kind (known kinds: "+
			strings.Join(objects.KindNames(true), ", ")+")")
	}
	def, ok := e.kinds[kind]
	if !ok {
		if info, known := objects.Info(kind); known && !info.Manifest {
			return Manifest{}, at([]string{"kind"}, kind+" objects are written by reconcile itself and cannot come from a repository")
		}
		return Manifest{}, at([]string{"kind"}, fmt.Sprintf("unknown kind %q; known kinds: %s", kind, strings.Join(objects.KindNames(true), ", ")))
	}
	info, _ := objects.Info(kind)
	apiVersion, err := d.value.LookupPath(cue.ParsePath("apiVersion")).String()
	if err != nil {
		return Manifest{}, at(nil, fmt.Sprintf("apiVersion is missing or not a string; %s is %q", kind, info.APIVersion))
	}
	if apiVersion != info.APIVersion {
		return Manifest{}, at([]string{"apiVersion"}, fmt.Sprintf("apiVersion %q is not supported for %s; use %q", apiVersion, kind, info.APIVersion))
	}
	u := def.Unify(d.value)
	if err := u.Validate(cue.Concrete(true)); err != nil {
		return Manifest{}, d.errors(file, err, def)
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return Manifest{}, d.errors(file, err, def)
	}
	o, err := objects.Decode(data)
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
	return Manifest{Object: o, Path: file, Line: line, Col: col}, nil
}
