package jointoken

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const testHash = "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestGenerateAndParse(t *testing.T) {
	tok, err := Generate(testHash)
	if err != nil {
		t.Fatal(err)
	}
	if !bareRe.MatchString(tok.Bare()) {
		t.Fatalf("bare form %q", tok.Bare())
	}
	s := tok.String()
	if !strings.HasPrefix(s, "K10"+strings.TrimPrefix(testHash, "sha256:")+"::") {
		t.Fatalf("printed form %q", s)
	}
	for _, in := range []string{s, " " + s + "\n"} {
		got, err := Parse(in)
		if err != nil || got != tok {
			t.Fatalf("Parse(%q) = %+v, %v; want %+v", in, got, err, tok)
		}
	}
	bare, err := Parse(tok.Bare())
	if err != nil || bare.CAHash != "" || bare.ID != tok.ID || bare.Secret != tok.Secret {
		t.Fatalf("Parse(bare) = %+v, %v", bare, err)
	}
	if other, _ := Generate(testHash); other == tok {
		t.Fatal("two tokens alike")
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"", "abcdef", "abcdef.0123456789abcdef0", "ABCDEF.0123456789abcdef", "abcde.0123456789abcdefg",
		"K10::abcdef.0123456789abcdef", "K10zz::abcdef.0123456789abcdef",
		"K10" + strings.Repeat("0", 63) + "::abcdef.0123456789abcdef",
		"K10" + strings.Repeat("0", 64) + ":abcdef.0123456789abcdef",
		"K10" + strings.Repeat("0", 64) + "::abcdef.0123456789abcdef::x",
		"abcdef.0123456789abcde\x00",
	} {
		if _, err := Parse(in); !errors.Is(err, ErrFormat) {
			t.Errorf("Parse(%q) = %v, want ErrFormat", in, err)
		}
	}
}

func TestCheck(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tok := Token{ID: "abcdef", Secret: "0123456789abcdef"}
	rec := &Record{ID: "abcdef", SecretHash: HashSecret(tok), Expires: now.Add(time.Hour)}
	never := &Record{ID: "abcdef", SecretHash: HashSecret(tok)}
	wrong := Token{ID: "abcdef", Secret: "0123456789abcdeg"}
	for _, tc := range []struct {
		name string
		tok  Token
		rec  *Record
		at   time.Time
		want error
		msg  string
	}{
		{"valid", tok, rec, now, nil, ""},
		{"no expiry", tok, never, now.Add(1000 * time.Hour), nil, ""},
		{"deleted or unknown", tok, nil, now, ErrUnknown, "never created on this controller or was deleted"},
		{"wrong secret", wrong, rec, now, ErrUnknown, "does not match"},
		{"expired at the instant", tok, rec, now.Add(time.Hour), ErrExpired, "expired at 2026-01-02T04:04:05Z"},
	} {
		err := Check(tc.tok, tc.rec, tc.at)
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.msg)) {
			t.Errorf("%s: Check = %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
		}
		if err != nil && strings.Contains(err.Error(), tc.tok.Secret) {
			t.Errorf("%s: the message repeats the secret: %v", tc.name, err)
		}
	}
}

func TestValidID(t *testing.T) {
	if ValidID("abc123") != nil || ValidID("abc12") == nil || ValidID("abc12/") == nil {
		t.Error("ValidID")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("abcdef.0123456789abcdef")
	f.Add("K10" + strings.Repeat("a", 64) + "::abcdef.0123456789abcdef")
	f.Add("K10::")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(tok.String())
		if err != nil || again != tok {
			t.Fatalf("round trip of %q: %+v %v, want %+v", s, again, err, tok)
		}
		if !bareRe.MatchString(tok.Bare()) {
			t.Fatalf("accepted %q as %+v", s, tok)
		}
	})
}
