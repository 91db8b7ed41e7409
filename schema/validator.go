package schema

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"

	embedded "github.com/reconcile-dev/reconcile"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Manifest is one valid object and where it came from.
type Manifest struct {
	// Object is typed and defaulted. It is shared with the Validator's
	// cache: callers must not modify it (use objects.Copy first).
	Object objects.Object
	Path   string
	Line   int
	Col    int
	// key is objects.KeyOf(Object), computed once when the file is
	// validated so that re-assembling a cached tree does not parse every
	// object's apiVersion again.
	key objects.Key
	// size is the object's JSON size as written (with schema defaults):
	// what the limits count (limits.go).
	size int64
}

// Result of validating a tree: the objects, or every error found.
type Result struct {
	Manifests []Manifest
	Errors    []Error
}

// OK tells whether the tree is valid.
func (r Result) OK() bool { return len(r.Errors) == 0 }

type fileResult struct {
	manifests []Manifest
	errors    []Error
}

// Validator checks trees of manifests against schema.cue. It is safe for
// concurrent use. Results are cached per file path and git blob hash, so a
// commit that changes one file re-validates that file only.
type Validator struct {
	schemas *schemas
	pool    chan *evaluator
	workers int

	mu     sync.Mutex
	cache  map[cacheKey]cached
	gen    uint64 // of the latest Validate; entries of older trees are dropped
	limits Limits
}

// NewValidator compiles the embedded schema.cue.
func NewValidator() (*Validator, error) { return newValidator(embedded.SchemaCUE) }

func newValidator(schema string) (*Validator, error) {
	s, err := newSchemas(schema)
	if err != nil {
		return nil, err
	}
	e, err := newEvaluator(s)
	if err != nil {
		return nil, err
	}
	n := runtime.GOMAXPROCS(0)
	v := &Validator{schemas: s, workers: n, pool: make(chan *evaluator, n), cache: map[cacheKey]cached{}, limits: DefaultLimits()}
	v.pool <- e
	return v, nil
}

// get takes an evaluator from the pool or compiles a new one.
func (v *Validator) get() *evaluator {
	select {
	case e := <-v.pool:
		if e.uses < maxEvaluatorUses {
			return e
		}
	default:
	}
	e, err := newEvaluator(v.schemas)
	if err != nil {
		panic(err) // compiled once already in NewValidator
	}
	return e
}

func (v *Validator) put(e *evaluator) {
	select {
	case v.pool <- e:
	default:
	}
}

// cacheKey identifies a file's content at a path, checked under a policy
// (the hash of the tree's policy files, "" without).
type cacheKey struct{ path, hash, policy string }

// cached is a file's result and the Validate call that last saw it.
type cached struct {
	fileResult
	gen uint64
}

// Validate checks every file and reports every error at once. Files that
// are not .yaml, .yml, .json or .cue are ignored. Files policy/*.cue are
// policy, not manifests: each object is also unified with the policy of
// its kind (policy.go).
func (v *Validator) Validate(files []File) Result {
	policyErrs := nestedPolicyErrors(files)
	files, ps := splitPolicy(files)
	policyHash := ""
	if ps != nil {
		policyHash = ps.hash
		e := v.get()
		errs := e.setPolicy(ps)
		v.put(e)
		if len(errs) > 0 {
			policyErrs = append(policyErrs, errs...)
			ps, policyHash = nil, "" // reported; check the manifests without it
		}
	}
	results := make([]fileResult, len(files), len(files)+1)
	var todo []int
	v.mu.Lock()
	v.gen++
	gen := v.gen
	for i := range files {
		f := &files[i]
		if r, done := precheck(f); done {
			results[i] = r
			continue
		}
		if f.Hash == "" {
			f.Hash = GitBlobHash(f.Data)
		}
		k := cacheKey{f.Path, f.Hash, policyHash}
		if c, ok := v.cache[k]; ok {
			results[i] = c.fileResult
			c.gen = gen
			v.cache[k] = c
			continue
		}
		todo = append(todo, i)
	}
	v.mu.Unlock()

	v.run(files, todo, results, ps)

	// The cache keeps exactly the files of the latest tree, so its size
	// follows the repository, not its history.
	v.mu.Lock()
	for _, i := range todo {
		v.cache[cacheKey{files[i].Path, files[i].Hash, policyHash}] = cached{results[i], gen}
	}
	for k, c := range v.cache {
		if c.gen != gen {
			delete(v.cache, k)
		}
	}
	limits := v.limits
	v.mu.Unlock()
	if len(policyErrs) > 0 {
		results = append(results, fileResult{errors: policyErrs})
	}
	return limits.apply(assemble(results))
}

// precheck handles files that are not evaluated: ignored extensions,
// symlinks and oversized files.
func precheck(f *File) (fileResult, bool) {
	if f.SymlinkTarget != "" {
		if e := symlinkError(*f); e != nil {
			return fileResult{errors: []Error{*e}}, true
		}
		return fileResult{}, true
	}
	if !manifestExt(f.Path) {
		return fileResult{}, true
	}
	size := f.Size
	if int64(len(f.Data)) > size {
		size = int64(len(f.Data))
	}
	if size > MaxFileSize {
		return fileResult{errors: []Error{{Path: f.Path, Message: fmt.Sprintf(
			"file is %d bytes, over the limit of %d (10 MiB); split it into smaller files", size, MaxFileSize)}}}, true
	}
	return fileResult{}, false
}

// run validates files[todo] in parallel, one evaluator per worker.
func (v *Validator) run(files []File, todo []int, results []fileResult, ps *policySet) {
	if len(todo) == 0 {
		return
	}
	defer raiseGC(len(todo))()
	workers := min(v.workers, len(todo))
	var wg sync.WaitGroup
	var next int
	var mu sync.Mutex
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := v.get()
			defer v.put(e)
			e.setPolicy(ps) // compile errors were reported by Validate
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= len(todo) {
					return
				}
				results[todo[i]] = e.check(files[todo[i]])
			}
		}()
	}
	wg.Wait()
}

// assemble merges per-file results, finds duplicate objects and sorts.
func assemble(results []fileResult) Result {
	var res Result
	n := 0
	for _, r := range results {
		n += len(r.manifests)
	}
	res.Manifests = make([]Manifest, 0, n)
	for _, r := range results {
		res.Manifests = append(res.Manifests, r.manifests...)
		res.Errors = append(res.Errors, r.errors...)
	}
	less := func(a, b Manifest) bool {
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Line < b.Line
	}
	// Trees come sorted by path (ReadDir, git); sort only when they are not.
	if !sort.SliceIsSorted(res.Manifests, func(i, j int) bool { return less(res.Manifests[i], res.Manifests[j]) }) {
		sort.SliceStable(res.Manifests, func(i, j int) bool { return less(res.Manifests[i], res.Manifests[j]) })
	}
	seen := make(map[objects.Key]int, len(res.Manifests)) // → index in kept
	kept := res.Manifests[:0]
	for _, m := range res.Manifests {
		k := m.key
		if k == (objects.Key{}) {
			k = objects.KeyOf(m.Object)
		}
		if i, dup := seen[k]; dup {
			first := kept[i]
			res.Errors = append(res.Errors, Error{Path: m.Path, Line: m.Line, Col: m.Col, Field: "metadata.name",
				Message: fmt.Sprintf("duplicate object %s: already defined at %s:%d:%d; rename or remove one of them",
					k, first.Path, first.Line, first.Col)})
			continue
		}
		seen[k] = len(kept)
		kept = append(kept, m)
	}
	res.Manifests = kept
	res.Errors = append(res.Errors, globalDefaultErrors(res.Manifests)...)
	if len(res.Errors) > 0 {
		sortErrors(res.Errors)
		res.Errors = dedupErrors(res.Errors)
	}
	return res
}

// String renders the errors one per line, as `reconcile validate` prints them.
func (r Result) String() string {
	var b strings.Builder
	for _, e := range r.Errors {
		b.WriteString(e.Error())
		b.WriteByte('\n')
	}
	return b.String()
}
