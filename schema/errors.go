package schema

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Error is one problem in one file, at a position a person can jump to.
type Error struct {
	Path      string // file path, relative to the tree
	Line, Col int    // 1-based; 0 when the problem concerns the whole file
	Field     string // e.g. spec.template.spec.containers[0].image; may be empty
	Message   string
}

// Error renders the error as path:line:col: field: message.
func (e Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Path)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", e.Line, e.Col)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

func sortErrors(errs []Error) {
	sort.SliceStable(errs, func(i, j int) bool {
		a, b := errs[i], errs[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		if a.Field != b.Field {
			return a.Field < b.Field
		}
		return a.Message < b.Message
	})
}

// dedupErrors drops repeated errors (CUE may report one conflict once per
// conjunct); errs must be sorted.
func dedupErrors(errs []Error) []Error {
	out := errs[:0]
	for i, e := range errs {
		if i > 0 && e == errs[i-1] {
			continue
		}
		out = append(out, e)
	}
	return out
}

// fieldPath renders CUE path selectors as a.b[0]."c/d" style text that
// matches how people write the field in YAML.
func fieldPath(sels []string) string {
	var b strings.Builder
	for _, s := range sels {
		if _, err := strconv.Atoi(s); err == nil && b.Len() > 0 {
			b.WriteString("[" + s + "]")
			continue
		}
		if uq, err := strconv.Unquote(s); err == nil {
			s = uq
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		if !identRE.MatchString(s) {
			s = strconv.Quote(s)
		}
		b.WriteString(s)
	}
	return b.String()
}

var identRE = regexp.MustCompile(`^[A-Za-z_$][A-Za-z0-9_$-]*$`)

// unquoteSels turns CUE selectors into plain labels for walking syntax.
func unquoteSels(sels []string) []string {
	out := make([]string, len(sels))
	for i, s := range sels {
		if uq, err := strconv.Unquote(s); err == nil {
			s = uq
		}
		out[i] = s
	}
	return out
}
