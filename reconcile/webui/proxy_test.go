package webui

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestProxyAddsTheCallersCredentials: the proxy forwards with its own
// token, drops the browser's Authorization and cookies, refuses foreign
// hosts (DNS rebinding) and cross-site state changes (CSRF), and streams.
func TestProxyAddsTheCallersCredentials(t *testing.T) {
	var seen *http.Request
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Clone(r.Context())
		io.WriteString(w, "ok "+r.Method+" "+r.URL.RequestURI())
	}))
	t.Cleanup(upstream.Close)
	u, _ := url.Parse(upstream.URL)
	proxy := httptest.NewServer((&Proxy{Server: u, Token: "cli-token"}).Handler())
	t.Cleanup(proxy.Close)
	do := func(method, path string, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, proxy.URL+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			if header[i] == "Host" {
				req.Host = header[i+1]
				continue
			}
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	seen = nil
	code, body := do("GET", "/api/v1/ui/overview?x=1", "Authorization", "Bearer from-a-page", "Cookie", "a=b")
	if code != 200 || body != "ok GET /api/v1/ui/overview?x=1" || seen == nil {
		t.Fatalf("GET through the proxy: %d %q", code, body)
	}
	if got := seen.Header.Get("Authorization"); got != "Bearer cli-token" || seen.Header.Get("Cookie") != "" {
		t.Errorf("upstream saw Authorization %q Cookie %q, want the CLI's token and no cookie", got, seen.Header.Get("Cookie"))
	}
	proxyHost := strings.TrimPrefix(proxy.URL, "http://")
	for _, tc := range []struct {
		what   string
		method string
		header []string
		want   int
	}{
		{"a same-origin rollback", "POST", []string{"Origin", proxy.URL, "Sec-Fetch-Site", "same-origin"}, 200},
		{"curl (no browser headers)", "POST", nil, 200},
		{"a cross-site form post", "POST", []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}, 403},
		{"a same-site other port", "POST", []string{"Origin", "http://127.0.0.1:1", "Sec-Fetch-Site", "same-site"}, 403},
		{"an Origin that is not the proxy", "POST", []string{"Origin", "http://localhost:9"}, 403},
		{"a rebinding host", "GET", []string{"Host", "evil.example:" + strings.Split(proxyHost, ":")[1]}, 403},
		{"localhost by name", "GET", []string{"Host", "localhost:" + strings.Split(proxyHost, ":")[1]}, 200},
	} {
		seen = nil
		code, body := do(tc.method, "/api/v1/rollback?commit=abc", tc.header...)
		if code != tc.want {
			t.Errorf("%s: %d %q, want %d", tc.what, code, body, tc.want)
		}
		if tc.want == 403 && seen != nil {
			t.Errorf("%s: refused but forwarded", tc.what)
		}
	}
}

func TestLoopbackHost(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "LOCALHOST:7480": true, "127.0.0.1:7480": true, "127.9.9.9": true, "[::1]:7480": true, "::1": true,
		"10.0.0.1:7480": false, "example.com": false, "localhost.example.com": false, "": false, "[::ffff:10.0.0.1]:1": false,
	} {
		if got := LoopbackHost(host); got != want {
			t.Errorf("LoopbackHost(%q) = %v, want %v", host, got, want)
		}
	}
}

func FuzzLoopbackHost(f *testing.F) {
	for _, s := range []string{"localhost:7480", "127.0.0.1", "[::1]:80", "evil.example", "[", "127.0.0.1.nip.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !LoopbackHost(host) {
			return
		}
		// Whatever is accepted names this machine: no dot-separated name
		// other than an IP address.
		h := strings.TrimSuffix(strings.TrimPrefix(strings.ToLower(host), "["), "]")
		if strings.Contains(h, "localhost") && h != "localhost" && !strings.HasPrefix(h, "localhost:") {
			t.Fatalf("%q accepted as loopback", host)
		}
	})
}
