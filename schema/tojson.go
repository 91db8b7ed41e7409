package schema

import (
	"errors"
	"fmt"
	"github.com/cockroachdb/apd/v3"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// errUnsupportedSyntax marks a document whose syntax appendJSON does not
// convert (e.g. a YAML !!binary value); the caller then asks CUE for the
// JSON instead.
var errUnsupportedSyntax = errors.New("unsupported syntax")

// appendJSON writes the data of a validated YAML or JSON document as JSON,
// with the defaults of n filled in where the document leaves fields out.
// It replaces CUE's MarshalJSON of the unified value, which costs as much
// as the validation itself: once a document is valid, its own syntax holds
// every value and the default tree holds the rest.
func appendJSON(buf []byte, e ast.Expr, n *defaultNode) ([]byte, error) {
	switch x := e.(type) {
	case *ast.StructLit:
		return appendStruct(buf, x, n)
	case *ast.ListLit:
		buf = append(buf, '[')
		var elem *defaultNode
		if n != nil {
			elem = n.elem
		}
		for i, el := range x.Elts {
			if i > 0 {
				buf = append(buf, ',')
			}
			var err error
			if buf, err = appendJSON(buf, el, elem); err != nil {
				return buf, err
			}
		}
		return append(buf, ']'), nil
	case *ast.BasicLit:
		return appendLiteral(buf, x, false)
	case *ast.UnaryExpr:
		if lit, ok := x.X.(*ast.BasicLit); ok && x.Op == token.SUB && (lit.Kind == token.INT || lit.Kind == token.FLOAT) {
			return appendLiteral(buf, lit, true)
		}
	case *ast.Ident:
		// The JSON decoder writes true, false and null as identifiers.
		switch x.Name {
		case "true", "false", "null":
			return append(buf, x.Name...), nil
		}
	}
	return buf, fmt.Errorf("%w: %T", errUnsupportedSyntax, e)
}

func appendStruct(buf []byte, x *ast.StructLit, n *defaultNode) ([]byte, error) {
	buf = append(buf, '{')
	var present []string // labels of the document, to know which defaults apply
	for _, el := range x.Elts {
		f, ok := el.(*ast.Field)
		if !ok {
			return buf, fmt.Errorf("%w: %T in a struct", errUnsupportedSyntax, el)
		}
		name, isIdent, err := ast.LabelName(f.Label)
		if err != nil || (isIdent && len(name) > 0 && (name[0] == '_' || name[0] == '#')) {
			return buf, fmt.Errorf("%w: label", errUnsupportedSyntax)
		}
		if len(present) > 0 {
			buf = append(buf, ',')
		}
		present = append(present, name)
		buf = appendString(buf, name)
		buf = append(buf, ':')
		var child *defaultNode
		if df := n.field(name); df != nil {
			child = df.node
		}
		if buf, err = appendJSON(buf, f.Value, child); err != nil {
			return buf, err
		}
	}
	if n == nil {
		return append(buf, '}'), nil
	}
	for _, df := range n.fields {
		if contains(present, df.name) {
			continue
		}
		var from ast.Expr // the sibling whose value is the default
		if df.sibling != "" {
			if from = siblingValue(x, df.sibling); from == nil {
				continue // CUE has reported the missing sibling already
			}
		} else if df.absent == nil {
			continue
		}
		if len(present) > 0 {
			buf = append(buf, ',')
		}
		present = append(present, df.name)
		buf = appendString(buf, df.name)
		buf = append(buf, ':')
		if from == nil {
			buf = append(buf, df.absent...)
			continue
		}
		var err error
		if buf, err = appendJSON(buf, from, nil); err != nil {
			return buf, err
		}
	}
	return append(buf, '}'), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func siblingValue(x *ast.StructLit, name string) ast.Expr {
	if f := findField(x, name); f != nil {
		return f.Value
	}
	return nil
}

func appendLiteral(buf []byte, x *ast.BasicLit, negative bool) ([]byte, error) {
	switch x.Kind {
	case token.STRING:
		s, err := literal.Unquote(x.Value)
		if err != nil || len(x.Value) > 0 && x.Value[0] == '\'' {
			// Bytes ('...', from !!binary) have no JSON form of their own.
			return buf, fmt.Errorf("%w: %s", errUnsupportedSyntax, x.Value)
		}
		return appendString(buf, s), nil
	case token.TRUE, token.FALSE, token.NULL:
		return append(buf, x.Value...), nil
	case token.INT, token.FLOAT:
		if negative {
			buf = append(buf, '-')
		}
		if x.Kind == token.INT && isDigits(x.Value) {
			return append(buf, x.Value...), nil
		}
		// Anything else (0x1F, 0o644, 1_000, 0.5, 1e9) is written as CUE
		// writes it, so that e.g. a quantity reads the same either way.
		var info literal.NumInfo
		var d apd.Decimal
		if err := literal.ParseNum(x.Value, &info); err != nil || info.Decimal(&d) != nil {
			return buf, fmt.Errorf("%w: number %s", errUnsupportedSyntax, x.Value)
		}
		start := len(buf)
		buf = d.Append(buf, 'G')
		if !isJSONNumber(string(buf[start:])) {
			return buf, fmt.Errorf("%w: number %s", errUnsupportedSyntax, x.Value)
		}
		return buf, nil
	}
	return buf, fmt.Errorf("%w: literal %s", errUnsupportedSyntax, x.Value)
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != "" && (s[0] != '0' || len(s) == 1)
}

// isJSONNumber tells whether s is a non-negative number as JSON writes it.
func isJSONNumber(s string) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		return i - start
	}
	if n := digits(); n == 0 || (n > 1 && s[0] == '0') {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

const hexDigits = "0123456789abcdef"

// appendString writes s as a JSON string.
func appendString(buf []byte, s string) []byte {
	buf = append(buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			buf = append(buf, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, `\ufffd`...)
		} else {
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return append(buf, '"')
}
