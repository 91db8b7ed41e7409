package schema

import (
	"github.com/reconcile-dev/reconcile/schema/excerpt"

	"fmt"
	"regexp"
	"strings"

	"cuelang.org/go/cue"
)

// rawError is one CUE error before it is explained.
type rawError struct {
	sels []string
	msg  string
}

// patternHelp explains the regular expressions of schema.cue, matched by a
// distinctive fragment of the pattern as CUE prints it.
var patternHelp = []struct{ fragment, help string }{
	{`([./][a-z0-9]`, "must be a sysctl name: lowercase letters, digits, '-' and '_' in parts joined by '.' or '/' (e.g. net.ipv4.ip_local_port_range)"},
	{`=~"^[A-Za-z_0-9]+$"`, "must be a capability name such as NET_ADMIN (or ALL)"},
	{`{0,61}[a-z0-9])?$"`, "must be a DNS-1123 label: at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. my-app)"},
	{`[a-z0-9])?)*$"`, "must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most 253 characters (e.g. my-app.v1)"},
	{`{0,61})?[A-Za-z0-9])?$"`, "label values are empty or at most 63 letters, digits, '-', '_' and '.', starting and ending with a letter or digit"},
	{`[a-z0-9]|-[a-z0-9]){0,14}$"`, "port names are at most 15 lowercase letters, digits and '-', with at least one letter (e.g. http)"},
	{`=~"[a-z]"`, "port names need at least one letter (e.g. http)"},
	{`[KMGTPE]i|[mkMGTPE]`, "not a resource quantity: write e.g. 250m or 0.5 for cpu, 64Mi or 1.5Gi for memory"},
	{`{3}=)?$"`, "not valid base64: encode the value (base64 -w0), or put the plain value in stringData"},
	{`(@(yearly|annually`, "not a cron schedule: five fields (minute hour day-of-month month day-of-week) such as \"*/5 * * * *\", or a macro such as @hourly"},
	{`=~"^[-._a-zA-Z0-9]+$"`, "keys may contain only letters, digits, '-', '_' and '.'"},
	{`=~"^(metadata\\.(name`, "unsupported fieldPath: use metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName, spec.serviceAccountName, status.hostIP, status.podIP or status.podIPs"},
	{`/([0-9]|[12][0-9]|3[0-2])$"`, "must be an IPv4 network in CIDR notation (e.g. 203.0.113.0/24)"},
	{`(25[0-5]|2[0-4]`, "must be an IPv4 address, or None for a headless service"},
	{`=~"^[0-9]+%$"`, "must be a number or a percentage such as 25%"},
	{`MaxRunes(253)`, "must be at most 253 characters"},
	{`=~"^[^=]+$"`, "environment variable names must not be empty or contain '='"},
}

var (
	conflictRE   = regexp.MustCompile(`^conflicting values (.+?) and (.+?)(?: \(mismatched types (\w+) and (\w+)\))?$`)
	boundRE      = regexp.MustCompile(`^invalid value (.+) \(out of bound (.+)\)$`)
	incompleteRE = regexp.MustCompile(`^incomplete value (.+)$`)
	literalsRE   = regexp.MustCompile(`^"[^"]*"( \| "[^"]*")*$`)
)

// explain turns the CUE errors of one field into one message that says
// what is wrong and what to do.
func (d document) explain(sels []string, raws []string) (msg string, atLabel bool) {
	for _, r := range raws {
		if strings.Contains(r, "field not allowed") {
			return notAllowedMessage(sels, d.kind()), true
		}
	}
	var msgs []string
	for _, r := range raws {
		if !strings.Contains(r, "errors in empty disjunction") {
			msgs = append(msgs, r)
		}
	}
	if len(msgs) == 0 {
		return strings.Join(raws, "; "), false
	}
	user := d.userValue(sels)
	// A violated bound or pattern says most; then conflicting literals
	// (an enum); then type mismatches; then missing values.
	for _, m := range msgs {
		if b := boundRE.FindStringSubmatch(m); b != nil {
			return explainBound(b[1], b[2], sels), false
		}
	}
	var allowed []string
	var typeMsg string
	for _, m := range msgs {
		c := conflictRE.FindStringSubmatch(m)
		if c == nil {
			continue
		}
		other := c[1]
		if other == user {
			other = c[2]
		}
		if c[3] != "" {
			want := c[4]
			if c[2] != user && c[1] == user {
				want = c[4]
			} else if c[1] != user {
				want = c[3]
			}
			if typeMsg == "" {
				typeMsg = fmt.Sprintf("expected %s, found %s", article(want), user)
				if want == "string" {
					typeMsg += "; quote the value"
				}
			}
			continue
		}
		allowed = append(allowed, other)
	}
	if len(allowed) > 0 && typeMsg == "" {
		if len(allowed) == 1 && !isLiteral(allowed[0]) {
			return fmt.Sprintf("invalid value %s: conflicts with %s", user, allowed[0]), false
		}
		return fmt.Sprintf("invalid value %s: must be %s", user, strings.Join(allowed, " or ")), false
	}
	if typeMsg != "" {
		return typeMsg, false
	}
	for _, m := range msgs {
		if c := incompleteRE.FindStringSubmatch(m); c != nil || strings.Contains(m, "non-concrete value") {
			if c != nil && literalsRE.MatchString(c[1]) {
				return "required field is missing: set it to " + strings.ReplaceAll(c[1], " | ", " or "), false
			}
			return "required field is missing", false
		}
		if strings.HasPrefix(m, "incompatible list lengths (0 and") {
			return "at least one is required", false
		}
	}
	return explainPattern(msgs[0]), false
}

func isLiteral(s string) bool {
	return strings.HasPrefix(s, `"`) || regexp.MustCompile(`^-?[0-9.]+$`).MatchString(s)
}

func article(t string) string {
	switch t {
	case "int":
		return "an integer"
	case "float", "number":
		return "a number"
	case "struct":
		return "an object"
	case "list":
		return "a list"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	}
	return t
}

func explainBound(value, bound string, sels []string) string {
	for _, p := range patternHelp {
		if strings.Contains(bound, p.fragment) {
			return fmt.Sprintf("invalid value %s: %s", value, p.help)
		}
	}
	last := ""
	if len(sels) > 0 {
		last = strings.ToLower(sels[len(sels)-1])
	}
	if strings.HasSuffix(last, "port") && (bound == ">=1" || bound == "<=65535") {
		return fmt.Sprintf("invalid port %s: ports are 1-65535", value)
	}
	if strings.HasPrefix(bound, ">=") || strings.HasPrefix(bound, ">") || strings.HasPrefix(bound, "<") {
		return fmt.Sprintf("invalid value %s: must be %s", value, strings.Replace(strings.Replace(bound, ">=", ">= ", 1), "<=", "<= ", 1))
	}
	return fmt.Sprintf("invalid value %s: does not match %s", value, bound)
}

func explainPattern(m string) string {
	for _, p := range patternHelp {
		if strings.Contains(m, p.fragment) {
			return excerpt.Cut(m) + ": " + p.help
		}
	}
	return excerpt.Cut(m)
}

// keyMaps are fields whose keys are user data, constrained by a pattern.
var keyMaps = map[string]string{
	"labels":       "label keys are an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'",
	"annotations":  "annotation keys are an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'",
	"matchLabels":  "label keys are an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'",
	"selector":     "label keys are an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'",
	"nodeSelector": "label keys are an optional DNS subdomain prefix and '/', then a name of at most 63 letters, digits, '-', '_' or '.'",
	"data":         "keys may contain only letters, digits, '-', '_' and '.'",
	"binaryData":   "keys may contain only letters, digits, '-', '_' and '.'",
	"stringData":   "keys may contain only letters, digits, '-', '_' and '.'",
}

func notAllowedMessage(sels []string, kind string) string {
	if len(sels) == 0 {
		return "field not allowed"
	}
	last := sels[len(sels)-1]
	if sels[0] == "status" {
		return "status is written by reconcile, never by a manifest; remove it"
	}
	if len(sels) >= 2 {
		parent := sels[len(sels)-2]
		if help, ok := keyMaps[parent]; ok && !(parent == "selector" && kind != "Service") {
			return fmt.Sprintf("invalid key %q: %s", last, help)
		}
	}
	if kind == "Namespace" && len(sels) == 2 && sels[0] == "metadata" && last == "namespace" {
		return "a Namespace is cluster-scoped and has no namespace; remove it"
	}
	return fmt.Sprintf("field %q is not supported by reconcile; remove it (docs/conformance.md lists the supported fields)", last)
}

// userValue renders the value the manifest has at sels, as CUE prints it
// in messages (strings quoted).
func (d document) userValue(sels []string) string {
	v := d.value
	for _, s := range sels {
		v = v.LookupPath(cue.MakePath(selector(s)))
		if !v.Exists() {
			return ""
		}
	}
	return excerpt.Cut(fmt.Sprint(v))
}

func (d document) kind() string {
	k, _ := d.value.LookupPath(cue.ParsePath("kind")).String()
	return k
}
