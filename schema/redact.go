package schema

import (
	"fmt"
	"regexp"
	"strings"

	"cuelang.org/go/cue"
)

// hidden is what an error says instead of a Secret's value.
const hidden = "(value hidden)"

// secretValues returns the values written under data and stringData of a
// Secret document (each as written and as CUE prints it), or nil when the
// document is not a Secret. Errors about such a document must quote none
// of them: they end up in `reconcile validate`, the stored source status,
// the controller's log and PR comments.
func (e *evaluator) secretValues(d *document) []string {
	v := e.valueOf(d).value
	if k, _ := v.LookupPath(cue.ParsePath("kind")).String(); k != "Secret" {
		return nil
	}
	vals := []string{}
	for _, field := range []string{"data", "stringData"} {
		it, err := v.LookupPath(cue.ParsePath(field)).Fields(cue.All())
		if err != nil {
			continue
		}
		for it.Next() {
			x := it.Value()
			if s, err := x.String(); err == nil {
				vals = append(vals, s)
			}
			vals = append(vals, fmt.Sprint(x))
		}
	}
	return vals
}

// sensitiveField tells whether an error's field is a Secret value (or the
// whole map of them).
func sensitiveField(f string) bool {
	for _, p := range []string{"data", "stringData"} {
		if f == p || strings.HasPrefix(f, p+".") || strings.HasPrefix(f, p+"[") {
			return true
		}
	}
	return false
}

// redactSecretErrors rewrites the errors of a Secret document so that they
// name the key and the problem only: an error on a value gets a message
// built from fixed phrases; any other error loses every literal occurrence
// of a value (values shorter than 3 bytes are left alone: they would
// blank out line numbers, and hide nothing).
func redactSecretErrors(errs []Error, values []string) []Error {
	out := make([]Error, len(errs))
	for i, e := range errs {
		if sensitiveField(e.Field) {
			e.Message = secretValueMessage(e.Message)
		} else {
			for _, v := range values {
				if len(v) >= 3 {
					e.Message = strings.ReplaceAll(e.Message, v, hidden)
				}
			}
		}
		out[i] = e
	}
	return out
}

var ruleAtRE = regexp.MustCompile(`\(rule at [^)]*\)$`)

// secretValueMessage says what is wrong with a Secret value without it.
func secretValueMessage(msg string) string {
	switch {
	case strings.Contains(msg, "keys may contain only"):
		return "invalid key: keys may contain only letters, digits, '-', '_' and '.'"
	case strings.Contains(msg, "base64"):
		return "not valid base64 " + hidden + ": encode the value (base64 -w0), or put the plain value in stringData"
	case strings.HasPrefix(msg, "required field is missing"):
		return msg
	case strings.HasPrefix(msg, "field not allowed"):
		return msg
	case strings.HasPrefix(msg, "expected ") && strings.Contains(msg, ", found"):
		out := msg[:strings.Index(msg, ", found")] + " " + hidden
		if strings.HasSuffix(msg, "; quote the value") {
			out += "; quote the value"
		}
		return out
	case strings.HasPrefix(msg, "policy:"):
		out := "policy: the value breaks a rule " + hidden
		if r := ruleAtRE.FindString(msg); r != "" {
			out += " " + r
		}
		return out
	}
	return "invalid value " + hidden
}
