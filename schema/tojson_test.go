package schema

import (
	"encoding/json"
	"runtime/debug"
	"strings"
	"testing"

	"cuelang.org/go/encoding/yaml"
)

func TestAppendJSON(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{`{a: 1, b: -2, c: 0.5, d: 1e9, e: 0x1F, f: 0o17, g: 1_000}`, `{"a":1,"b":-2,"c":0.5,"d":1E+9,"e":31,"f":15,"g":1000}`},
		{`{s: "tab\there \"q\" \\ é", n: null, t: true, f: false}`, `{"s":"tab\there \"q\" \\ é","n":null,"t":true,"f":false}`},
		{"l: [1, [2], {x: y}]", `{"l":[1,[2],{"x":"y"}]}`},
		{"m: |\n  two\n  lines\n", `{"m":"two\nlines\n"}`},
		{"\"_hidden\": 1\n\"#def\": 2\n", `{"_hidden":1,"#def":2}`},
		{"ctl: \"\\x01\"", `{"ctl":"\u0001"}`},
	} {
		expr, err := yaml.NewDecoder("t.yaml", strings.NewReader(tc.yaml)).Extract()
		if err != nil {
			t.Fatalf("%s: %v", tc.yaml, err)
		}
		got, err := appendJSON(nil, expr, nil)
		if err != nil {
			t.Errorf("%s: %v", tc.yaml, err)
			continue
		}
		if string(got) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.yaml, got, tc.want)
		}
		if !json.Valid(got) {
			t.Errorf("%s: invalid JSON %s", tc.yaml, got)
		}
	}
	// What has no JSON form of its own is left to CUE (evaluator.decode).
	for _, src := range []string{"b: !!binary aGVsbG8=", "f: .inf", "n: !!float 3"} {
		expr, err := yaml.NewDecoder("t.yaml", strings.NewReader(src)).Extract()
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		if _, err := appendJSON(nil, expr, nil); err == nil {
			t.Errorf("%s: converted, want errUnsupportedSyntax", src)
		}
	}
}

func TestRaiseGCRestores(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)
	end1 := raiseGC(10_000)
	end2 := raiseGC(10_000)
	if got := debug.SetGCPercent(batchGCPercent); got != batchGCPercent {
		t.Errorf("during a batch GC percent = %d, want %d", got, batchGCPercent)
	}
	end1()
	if got := debug.SetGCPercent(batchGCPercent); got != batchGCPercent {
		t.Errorf("with one batch still running GC percent = %d, want %d", got, batchGCPercent)
	}
	end2()
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("after the batches GC percent = %d, want 150 restored", got)
	}
	raiseGC(10)() // a small batch leaves it alone
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("after a small batch GC percent = %d, want 150", got)
	}
}
