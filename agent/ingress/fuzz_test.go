package ingress

import (
	"strings"
	"testing"
)

// FuzzMatch: any Host header and path (client input) routes without
// panicking, and a Prefix rule's match is element-wise: a request path
// the "/aaa" rule takes is /aaa or under /aaa/.
func FuzzMatch(f *testing.F) {
	for _, seed := range [][2]string{{"foo.com", "/aaa/bbb"}, {"x.foo.com:80", "/"}, {"", ""}, {"[::1]:443", "/aaa"}, {"FOO.COM.", "/aaab"}, {"a.b.foo.com", "//"}} {
		f.Add(seed[0], seed[1])
	}
	s := baseSnapshot()
	s.Ingresses = append(s.Ingresses, ing("a", 0, "", map[string][]path{
		"foo.com":   {{"/aaa", "Prefix", "web", 80}, {"/exact", "Exact", "api", 8080}},
		"*.foo.com": {{"/", "Prefix", "api", 8080}},
	}))
	table := Build(s)
	f.Fuzz(func(t *testing.T, host, path string) {
		table.Certificate(host)
		r, ok := table.Route(host, path)
		if ok && r.Path == "/aaa" && path != "/aaa" && !strings.HasPrefix(path, "/aaa/") {
			t.Errorf("Prefix /aaa matched %q", path)
		}
	})
}
