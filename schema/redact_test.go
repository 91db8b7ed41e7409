package schema

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzSecretErrors: whatever a Secret's value is, an error about the
// Secret never repeats it.
func FuzzSecretErrors(f *testing.F) {
	for _, s := range []string{"not-base64!canary", "98127364", "[canary, list]", "{a: canary}", "true", "null", "'quoted canary'",
		"canary\nsecond-line", "~", "&anchor canary", "!!binary canary", strings.Repeat("Z", 300)} {
		f.Add(s, "data")
		f.Add(s, "stringData")
	}
	v, err := NewValidator()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value, field string) {
		if field != "data" && field != "stringData" {
			return
		}
		for _, quoted := range []string{value, strconv.Quote(value)} {
			doc := "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n" + field + ":\n  k: " + quoted + "\n"
			res := v.Validate([]File{{Path: "s.yaml", Data: []byte(doc)}})
			for _, e := range res.Errors {
				if !strings.HasPrefix(e.Message, "syntax error") && len(strings.TrimSpace(value)) >= 6 &&
					strings.Contains(e.Error(), strings.TrimSpace(value)) && !strings.Contains(hidden+" s.yaml data stringData", strings.TrimSpace(value)) {
					t.Fatalf("value %q repeated in %q", value, e.Error())
				}
			}
		}
	})
}

func TestSecretValueMessages(t *testing.T) {
	cases := map[string]string{
		`invalid value "x!": not valid base64: encode the value (base64 -w0), or put the plain value in stringData`: "not valid base64 (value hidden): encode the value (base64 -w0), or put the plain value in stringData",
		"expected a string, found 98127364; quote the value":                                                        "expected a string (value hidden); quote the value",
		`policy: invalid value "hunter2" (out of bound =~"^age:") (rule at policy/s.cue:3:4)`:                       "policy: the value breaks a rule (value hidden) (rule at policy/s.cue:3:4)",
		`conflicting values "a" and "b"`:                                                                            "invalid value (value hidden)",
		"required field is missing":                                                                                 "required field is missing",
	}
	for in, want := range cases {
		if got := secretValueMessage(in); got != want {
			t.Errorf("secretValueMessage(%q) = %q, want %q", in, got, want)
		}
	}
}

// A policy on Secret values (e.g. "only encrypted values") is reported
// without the value it refused.
func TestPolicyErrorsHideSecretValues(t *testing.T) {
	v := newTestValidator(t)
	res := v.Validate([]File{
		{Path: "policy/secrets.cue", Data: []byte("Secret: stringData: [string]: =~\"^age:\"\nSecret: metadata: labels: owner: =~\"^team-\"\n")},
		{Path: "s.yaml", Data: []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  labels: {owner: plain-canary-label}\nstringData:\n  pin: \"canary-pin-4711\"\n")},
	})
	out := res.String()
	if !strings.Contains(out, "s.yaml:7:8: stringData.pin: policy: the value breaks a rule (value hidden) (rule at policy/secrets.cue:1:") {
		t.Errorf("the policy error does not name the key and the rule:\n%s", out)
	}
	if strings.Contains(out, "canary-pin-4711") {
		t.Errorf("the policy error shows the value:\n%s", out)
	}
	if !strings.Contains(out, "plain-canary-label") {
		t.Errorf("a label is not secret and should be quoted:\n%s", out)
	}
}
