package schema

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"cuelang.org/go/cue"

	embedded "github.com/reconcile-dev/reconcile"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// corpus is every manifest the tests know: testdata/defaults (written to
// leave out every default of schema.cue), testdata/errors, the conformance
// examples when present, and generated manifests.
func corpus(t *testing.T) []File {
	t.Helper()
	var files []File
	for _, dir := range []string{filepath.Join("testdata", "defaults"), filepath.Join("testdata", "errors")} {
		fs, err := ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, fs...)
	}
	dir := os.Getenv("RECONCILE_CONFORMANCE")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "conformance")
	}
	if fs, err := ReadDir(dir); err == nil {
		files = append(files, fs...)
	}
	return append(files, generated(30)...)
}

// cueObject validates a document the way the package did before the
// checking schema and the default tree existed: unified with schema.cue as
// written, defaults and all, then CUE's JSON decoded.
func cueObject(e *evaluator, d *document) (objects.Object, bool) {
	v := e.valueOf(d).value
	kind, err := v.LookupPath(cue.ParsePath("kind")).String()
	if err != nil {
		return nil, false
	}
	apiVersion, _ := v.LookupPath(cue.ParsePath("apiVersion")).String()
	if info, ok := objects.Info(kind); !ok || !info.Manifest || info.APIVersion != apiVersion {
		return nil, false
	}
	if e.original == nil {
		var err error
		if _, e.original, err = compileKinds(e.ctx, e.schemas.original); err != nil {
			panic(err)
		}
	}
	u := e.original[kind].Unify(v)
	if u.Validate(cue.Concrete(true)) != nil {
		return nil, false
	}
	data, err := u.MarshalJSON()
	if err != nil {
		return nil, false
	}
	o, err := objects.Decode(data)
	if err != nil || len(semanticChecks(o)) > 0 {
		return nil, false
	}
	normalize(o)
	return o, true
}

// TestDefaultsMatchCUE proves that validating against the checking schema
// and filling in defaults from the default tree gives exactly what CUE gives
// with schema.cue as written: the same documents are valid, and every
// object is identical, defaults included.
func TestDefaultsMatchCUE(t *testing.T) {
	s, err := newSchemas(embedded.SchemaCUE)
	if err != nil {
		t.Fatal(err)
	}
	e, err := newEvaluator(s)
	if err != nil {
		t.Fatal(err)
	}
	valid := 0
	for _, f := range corpus(t) {
		if !manifestExt(f.Path) {
			continue
		}
		docs, _ := decodeFile(e.ctx, f)
		for i := range docs {
			d := &docs[i]
			m, errs := e.checkDocument(f.Path, d)
			want, ok := cueObject(e, d)
			where := f.Path + ":" + strconv.Itoa(d.pos.Line())
			if ok != (len(errs) == 0) {
				t.Errorf("%s: valid with schema.cue: %v, with the checking schema: %v (%v)", where, ok, len(errs) == 0, errs)
				continue
			}
			if !ok {
				continue
			}
			valid++
			if !reflect.DeepEqual(m.Object, want) {
				got, _ := json.Marshal(m.Object)
				exp, _ := json.Marshal(want)
				t.Errorf("%s: object differs from CUE's:\n--- CUE\n%s\n--- got\n%s", where, exp, got)
			}
		}
	}
	if valid < 40 {
		t.Errorf("only %d valid documents compared; the corpus is missing", valid)
	}
	t.Logf("%d valid documents identical", valid)
}
