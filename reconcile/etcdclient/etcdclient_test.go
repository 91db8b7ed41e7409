package etcdclient

import (
	"strings"
	"testing"
)

func TestClientConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Config
		err  string // "" for success
	}{
		{"plain", Config{Endpoints: []string{"http://127.0.0.1:2379"}}, ""},
		{"no endpoints", Config{}, "no endpoints"},
		{"not a URL", Config{Endpoints: []string{"127.0.0.1:2379"}}, "want a URL"},
		{"cert without key", Config{Endpoints: []string{"https://a:2379"}, CertFile: "c.pem"}, "go together"},
		{"TLS files on http", Config{Endpoints: []string{"http://a:2379"}, CAFile: "ca.pem"}, "https://"},
		{"missing CA file", Config{Endpoints: []string{"https://a:2379"}, CAFile: "/nonexistent/ca.pem"}, "etcd TLS"},
		{"https with system roots", Config{Endpoints: []string{"https://a:2379"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := tc.c.ClientConfig()
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("error %v, want one saying %q", err, tc.err)
			case tc.err == "" && strings.HasPrefix(tc.c.Endpoints[0], "https") && cfg.TLS == nil:
				t.Fatal("https without TLS")
			}
		})
	}
}

func TestSplitEndpoints(t *testing.T) {
	got := SplitEndpoints(" https://a:2379, https://b:2379,,")
	if len(got) != 2 || got[1] != "https://b:2379" {
		t.Fatalf("%q", got)
	}
}
