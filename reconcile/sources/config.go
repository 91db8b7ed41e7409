package sources

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/encoding/yaml"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile"
)

// configSchema is the schema of the controller's config file.
//
//go:embed config.cue
var configSchema string

// fileConfig is the config file as written.
type fileConfig struct {
	Sources []fileSource `json:"sources"`
	Limits  fileLimits   `json:"limits"`
}

type fileSource struct {
	Name         string `json:"name"`
	URL          string `json:"url"`
	Ref          string `json:"ref"`
	Path         string `json:"path"`
	PollInterval string `json:"pollInterval"`
	// MinFetchInterval spaces fetches (fetchlimit.go).
	MinFetchInterval string `json:"minFetchInterval"`
	Credentials      struct {
		SSHKeyFile     string `json:"sshKeyFile"`
		KnownHostsFile string `json:"knownHostsFile"`
		TokenFile      string `json:"tokenFile"`
	} `json:"credentials"`
	Namespace  string `json:"namespace"`
	Prune      bool   `json:"prune"`
	AllowEmpty bool   `json:"allowEmpty"`
	Drift      string `json:"drift"`
	Webhook    struct {
		SecretFile string `json:"secretFile"`
	} `json:"webhook"`
	Verify struct {
		Mode              string   `json:"mode"`
		OpenPGPKeys       []string `json:"openpgpKeys"`
		SSHAllowedSigners string   `json:"sshAllowedSigners"`
	} `json:"verify"`
}

// ConfigError is one problem in a config file, at file:line:col.
type ConfigError struct {
	File      string
	Line, Col int
	Field     string
	Message   string
}

func (e ConfigError) Error() string {
	pos := e.File
	if e.Line > 0 {
		pos = fmt.Sprintf("%s:%d:%d", e.File, e.Line, e.Col)
	}
	if e.Field != "" {
		return fmt.Sprintf("%s: %s: %s", pos, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", pos, e.Message)
}

// ConfigErrors are all problems found in a config file.
type ConfigErrors []ConfigError

func (es ConfigErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return fmt.Sprintf("invalid controller config (%d problems):\n  %s", len(es), strings.Join(lines, "\n  "))
}

// LoadConfig reads a controller config file (YAML, or CUE when it ends in
// .cue), validates it against config.cue and returns its sources. Relative
// file paths in it are taken relative to the file; git caches go to cacheDir.
func LoadConfig(file, cacheDir string) ([]Config, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading controller config: %w", err)
	}
	return ParseConfig(file, data, cacheDir)
}

// ParseConfig is LoadConfig on data already read.
func ParseConfig(file string, data []byte, cacheDir string) ([]Config, error) {
	fc, doc, err := parseConfigFile(file, data)
	if err != nil {
		return nil, err
	}
	return fc.sources(file, doc, cacheDir)
}

// parseConfigFile validates a config file against config.cue and decodes it.
func parseConfigFile(file string, data []byte) (fileConfig, cue.Value, error) {
	var (
		f   *ast.File
		err error
	)
	if strings.HasSuffix(file, ".cue") {
		f, err = parser.ParseFile(file, data)
	} else {
		f, err = yaml.Extract(file, data)
	}
	if err != nil {
		return fileConfig{}, cue.Value{}, syntaxErrors(file, err)
	}
	ctx := cuecontext.New()
	schema := ctx.CompileString(configSchema, cue.Filename("config.cue"))
	if schema.Err() != nil {
		return fileConfig{}, cue.Value{}, fmt.Errorf("compile config.cue: %s", cueerrors.Details(schema.Err(), nil))
	}
	doc := ctx.BuildFile(f)
	if doc.Err() != nil {
		return fileConfig{}, cue.Value{}, syntaxErrors(file, doc.Err())
	}
	def := schema.LookupPath(cue.ParsePath("#Config"))
	v := def.Unify(doc)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		errs := validationErrors(file, doc, err)
		// CUE reports unknown fields only of structs without other errors:
		// list them all, so one run shows every mistake.
		unknown := unknownFields(file, def, doc, nil)
		seen := map[string]bool{}
		for _, e := range errs {
			seen[e.Field] = true
		}
		for _, e := range unknown {
			if !seen[e.Field] {
				errs = append(errs, e)
			}
		}
		sortErrors(errs)
		return fileConfig{}, cue.Value{}, errs
	}
	var fc fileConfig
	if err := v.Decode(&fc); err != nil {
		return fileConfig{}, cue.Value{}, fmt.Errorf("%s: %v", file, err)
	}
	return fc, doc, nil
}

// sources turns the validated file into source configs, checking what the
// schema cannot: unique names and durations.
func (fc fileConfig) sources(file string, doc cue.Value, cacheDir string) ([]Config, error) {
	dir := filepath.Dir(file)
	rel := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		if strings.HasPrefix(p, "~/") {
			if home, err := os.UserHomeDir(); err == nil {
				return filepath.Join(home, p[2:])
			}
		}
		return filepath.Join(dir, p)
	}
	var errs ConfigErrors
	at := func(i int, field, format string, args ...any) {
		e := ConfigError{File: file, Field: fmt.Sprintf("sources[%d].%s", i, field), Message: fmt.Sprintf(format, args...)}
		pos := doc.LookupPath(cue.MakePath(cue.Str("sources"), cue.Index(i), cue.Str(field))).Pos()
		if !pos.IsValid() {
			pos = doc.LookupPath(cue.MakePath(cue.Str("sources"), cue.Index(i))).Pos()
		}
		if pos.IsValid() {
			e.Line, e.Col = pos.Line(), pos.Column()
		}
		errs = append(errs, e)
	}
	seen := map[string]int{}
	var out []Config
	for i, s := range fc.Sources {
		if j, dup := seen[s.Name]; dup {
			at(i, "name", "source %q is already defined as sources[%d]: give each source a unique name", s.Name, j)
		}
		seen[s.Name] = i
		var poll time.Duration
		if s.PollInterval != "" {
			d, err := time.ParseDuration(s.PollInterval)
			if err != nil || d < time.Second {
				at(i, "pollInterval", "%q is not a duration of at least 1s: write e.g. \"30s\" or \"5m\"", s.PollInterval)
			}
			poll = d
		}
		var minFetch time.Duration
		if s.MinFetchInterval != "" {
			d, err := time.ParseDuration(s.MinFetchInterval)
			if err != nil || d < 100*time.Millisecond || d > time.Hour {
				at(i, "minFetchInterval", "%q is not a duration between 100ms and 1h: write e.g. \"1s\" or \"10s\"", s.MinFetchInterval)
			}
			minFetch = d
		}
		url := s.URL
		if strings.HasPrefix(url, "./") || strings.HasPrefix(url, "../") || url == "." {
			url = rel(url)
		}
		var keys []string
		for _, p := range s.Verify.OpenPGPKeys {
			keys = append(keys, rel(p))
		}
		if s.Verify.Mode == "" {
			s.Verify.Mode = string(gitsync.VerifyOff)
		}
		out = append(out, Config{
			Config: gitsync.Config{
				Name: s.Name, URL: url, Ref: s.Ref, Path: s.Path, PollInterval: poll,
				TokenFile: rel(s.Credentials.TokenFile), SSHKeyFile: rel(s.Credentials.SSHKeyFile), KnownHostsFile: rel(s.Credentials.KnownHostsFile),
				CacheDir: cacheDir,
				Verify: gitsync.Verification{Mode: gitsync.VerifyMode(s.Verify.Mode), OpenPGPKeyFiles: keys,
					SSHAllowedSignersFile: rel(s.Verify.SSHAllowedSigners)},
			},
			Prune: s.Prune, AllowEmpty: s.AllowEmpty, Drift: reconcile.DriftMode(s.Drift), MinFetchInterval: minFetch,
			Namespace: s.Namespace, WebhookSecretFile: rel(s.Webhook.SecretFile),
		})
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func syntaxErrors(file string, err error) error {
	var out ConfigErrors
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		ce := ConfigError{File: file, Message: fmt.Sprintf(format, args...)}
		if p := e.Position(); p.IsValid() {
			ce.Line, ce.Col = p.Line(), p.Column()
		}
		out = append(out, ce)
	}
	if len(out) == 0 {
		return fmt.Errorf("%s: %v", file, err)
	}
	return out
}

// validationErrors places each schema error at the offending value in the
// user's file, or at the nearest enclosing value that exists (a missing
// field is reported at its struct).
func validationErrors(file string, doc cue.Value, err error) ConfigErrors {
	// A value outside a disjunction (mode: always) comes back as one
	// "conflicting values" error per alternative plus an "empty
	// disjunction" summary: fold them into one error per field.
	var (
		out       ConfigErrors
		byField   = map[string]int{}
		conflicts = map[string][]string{}
	)
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		if strings.Contains(format, "errors in empty disjunction") {
			continue
		}
		path := e.Path()
		if len(path) > 0 && strings.HasPrefix(path[0], "#") {
			path = path[1:]
		}
		ce := ConfigError{File: file, Field: fieldName(path), Message: fmt.Sprintf(format, args...)}
		last := ""
		if len(path) > 0 {
			last = path[len(path)-1]
		}
		if hint, ok := fieldHints[last]; ok && strings.Contains(format, "out of bound") {
			ce.Message = fmt.Sprintf("%s is not allowed here: %s", strings.TrimSpace(fmt.Sprint(doc.LookupPath(cuePath(path)))), hint)
		} else if strings.HasPrefix(format, "conflicting values") && len(args) >= 2 {
			args = args[:2]
			user := strings.TrimSpace(fmt.Sprint(doc.LookupPath(cuePath(path))))
			for _, a := range args {
				if v := fmt.Sprint(a); v != user {
					conflicts[ce.Field] = append(conflicts[ce.Field], v)
				}
			}
			ce.Message = fmt.Sprintf("%s is not allowed here", user)
		}
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() == file {
				ce.Line, ce.Col = p.Line(), p.Column()
				break
			}
		}
		if ce.Line == 0 {
			for n := len(path); n >= 0 && ce.Line == 0; n-- {
				if p := doc.LookupPath(cuePath(path[:n])).Pos(); p.IsValid() {
					ce.Line, ce.Col = p.Line(), p.Column()
				}
			}
		}
		if _, dup := byField[ce.Field]; dup {
			continue
		}
		byField[ce.Field] = len(out)
		out = append(out, ce)
	}
	for field, want := range conflicts {
		slices.Sort(want)
		msg := ": use " + strings.Join(want, " or ")
		for _, w := range want {
			if w == "bool" || w == "string" || w == "int" || w == "number" {
				msg = ": want a " + w // the type says it all; its default is no alternative
			}
		}
		out[byField[field]].Message += msg
	}
	sortErrors(out)
	return out
}

func sortErrors(es ConfigErrors) {
	sort.SliceStable(es, func(i, j int) bool {
		if es[i].Line != es[j].Line {
			return es[i].Line < es[j].Line
		}
		return es[i].Col < es[j].Col
	})
}

// unknownFields lists the fields of data that the schema def does not allow.
func unknownFields(file string, def, data cue.Value, path []string) ConfigErrors {
	var out ConfigErrors
	switch data.Kind() {
	case cue.StructKind:
		it, err := data.Fields()
		if err != nil {
			return nil
		}
		for it.Next() {
			name := it.Selector().Unquoted()
			p := append(append([]string{}, path...), name)
			if !def.Allows(cue.Str(name)) {
				pos := it.Value().Pos()
				out = append(out, ConfigError{File: file, Line: pos.Line(), Col: pos.Column(), Field: fieldName(p), Message: "field not allowed"})
				continue
			}
			sub := def.LookupPath(cue.MakePath(cue.Str(name)))
			if !sub.Exists() { // an optional field of the schema
				sub = def.LookupPath(cue.MakePath(cue.Str(name).Optional()))
			}
			out = append(out, unknownFields(file, sub, it.Value(), p)...)
		}
	case cue.ListKind:
		it, err := data.List()
		if err != nil {
			return nil
		}
		elem := def.LookupPath(cue.MakePath(cue.AnyIndex))
		for i := 0; it.Next(); i++ {
			out = append(out, unknownFields(file, elem, it.Value(), append(append([]string{}, path...), strconv.Itoa(i)))...)
		}
	}
	return out
}

// fieldHints say what a pattern-checked field must look like.
var fieldHints = map[string]string{
	"name":             "use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63)",
	"namespace":        "use lowercase letters, digits and '-', starting and ending with a letter or digit (at most 63)",
	"pollInterval":     `write a duration such as "30s", "5m" or "1h"`,
	"minFetchInterval": `write a duration such as "1s" or "10s"`,
}

// cuePath makes a CUE path from error path elements (indexes are digits).
func cuePath(path []string) cue.Path {
	sels := make([]cue.Selector, 0, len(path))
	for _, s := range path {
		if n, err := strconv.Atoi(s); err == nil {
			sels = append(sels, cue.Index(n))
		} else {
			sels = append(sels, cue.Str(s))
		}
	}
	return cue.MakePath(sels...)
}

// fieldName renders a CUE path as sources[0].verify.mode.
func fieldName(path []string) string {
	var b strings.Builder
	for _, s := range path {
		if s != "" && s[0] >= '0' && s[0] <= '9' {
			b.WriteString("[" + s + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s)
	}
	return b.String()
}
