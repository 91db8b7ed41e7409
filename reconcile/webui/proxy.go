package webui

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
)

// Proxy is `reconcile ui`: a loopback HTTP server that forwards every
// request to the controller with the caller's own credentials, as
// `kubectl proxy` does for the Kubernetes dashboard. The browser needs no
// login; the controller decides what the caller may do.
type Proxy struct {
	// Server is the controller's URL (https://host:port).
	Server *url.URL
	// Token is sent as the bearer token when not empty.
	Token string
	// TLS verifies the controller (the cluster CA) and presents the
	// caller's client certificate when the config has one.
	TLS *tls.Config
}

// Handler returns the proxy's handler. It refuses (403) a Host header that
// is not a loopback name or address, so a web page on another origin
// cannot reach it by DNS rebinding (kubectl proxy's --accept-hosts
// default), and a request other than GET or HEAD whose Origin or
// Sec-Fetch-Site says it comes from another site: the proxy adds
// credentials, so a cross-site form post would otherwise roll back a
// source in the caller's name.
func (p *Proxy) Handler() http.Handler {
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(p.Server)
			r.Out.Host = p.Server.Host
			r.Out.Header.Del("Authorization") // the caller's credentials, never a page's
			r.Out.Header.Del("Cookie")
			r.Out.Header.Del("Origin")
			r.Out.Header.Del("Referer")
			if p.Token != "" {
				r.Out.Header.Set("Authorization", "Bearer "+p.Token)
			}
		},
		// Streams (watches, the UI's change events, log follows) go
		// through at once.
		FlushInterval: -1,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			http.Error(w, fmt.Sprintf("reconcile ui: the controller at %s did not answer: %v", p.Server, err), http.StatusBadGateway)
		},
	}
	if p.TLS != nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.TLSClientConfig = p.TLS
		rp.Transport = t
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !LoopbackHost(r.Host) {
			http.Error(w, fmt.Sprintf("reconcile ui: host %q refused: the proxy answers only loopback names (localhost, 127.0.0.1, [::1])", r.Host), http.StatusForbidden)
			return
		}
		if !SameOrigin(r) {
			http.Error(w, "reconcile ui: a "+r.Method+" from another site is refused (the proxy acts with your credentials)", http.StatusForbidden)
			return
		}
		rp.ServeHTTP(w, r)
	})
}

// LoopbackHost reports whether a Host header names this machine's
// loopback: localhost, 127.0.0.0/8 or ::1, with or without a port.
func LoopbackHost(host string) bool {
	h := host
	if hh, _, err := net.SplitHostPort(host); err == nil {
		h = hh
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// SameOrigin reports whether a request may change state through the
// proxy: safe methods always; others only when the browser says the
// request comes from the proxy's own pages (Sec-Fetch-Site same-origin,
// or an Origin equal to http://<Host>), or when it carries neither header
// (curl, scripts: not a browser, so not a forged cross-site request).
func SameOrigin(r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return true
	}
	site, origin := r.Header.Get("Sec-Fetch-Site"), r.Header.Get("Origin")
	if site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if origin != "" && origin != "http://"+r.Host {
		return false
	}
	return true
}

// Serve serves the proxy on ln until ctx ends. No write timeout: the
// change stream and log follows are long responses (loopback only).
func (p *Proxy) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	return httpserver.Serve(ctx, srv, ln, 2*time.Second)
}
