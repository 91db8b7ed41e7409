package ingressclass

import "testing"

// FuzzAnnotations: the annotation parsers take any manifest value and
// either refuse it or return a usable setting.
func FuzzAnnotations(f *testing.F) {
	for _, seed := range []string{"60", "2m", "0", "8m", "1g", "512k", "-1", "9999999999999g", "", " 5 "} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if d, err := ParseReadTimeout(v); err == nil && d <= 0 {
			t.Errorf("read timeout %q gave %v", v, d)
		}
		if n, err := ParseBodySize(v); err == nil && n < 0 {
			t.Errorf("body size %q gave %d", v, n)
		}
	})
}
