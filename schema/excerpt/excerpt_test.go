package excerpt

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCutAndQuote(t *testing.T) {
	long := strings.Repeat("é", 300) // 600 bytes, two per rune
	cases := []struct{ in, cut, quote string }{
		{"short", "short", `"short"`},
		{"", "", `""`},
		{strings.Repeat("a", Max), strings.Repeat("a", Max), `"` + strings.Repeat("a", Max) + `"`},
		{strings.Repeat("a", Max+1), strings.Repeat("a", Max) + "… (201 bytes)", `"` + strings.Repeat("a", Max) + `"… (201 bytes)`},
		{long, strings.Repeat("é", Max/2) + "… (600 bytes)", `"` + strings.Repeat("é", Max/2) + `"… (600 bytes)`},
	}
	for _, c := range cases {
		if got := Cut(c.in); got != c.cut {
			t.Errorf("Cut(%d bytes) = %q, want %q", len(c.in), got, c.cut)
		}
		if got := Quote(c.in); got != c.quote {
			t.Errorf("Quote(%d bytes) = %q, want %q", len(c.in), got, c.quote)
		}
	}
}

func FuzzCut(f *testing.F) {
	for _, s := range []string{"", "x", strings.Repeat("ab", 150), strings.Repeat("日本", 100), "\xff\xfe" + strings.Repeat("z", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := Cut(s)
		if len(s) <= Max && c != s {
			t.Fatalf("short input changed: %q → %q", s, c)
		}
		if len(c) > Max+32 {
			t.Fatalf("Cut kept %d bytes", len(c))
		}
		if utf8.ValidString(s) && !utf8.ValidString(c) {
			t.Fatalf("Cut broke a rune: %q", c)
		}
		if len(Quote(s)) > 4*Max+40 {
			t.Fatalf("Quote too long: %d", len(Quote(s)))
		}
	})
}
