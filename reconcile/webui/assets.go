package webui

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

// assets are the pages: index.html, app.css and the JavaScript modules
// under js/. Plain files, no build step.
//
//go:embed assets
var assets embed.FS

// ContentSecurityPolicy lets the pages run only this origin's scripts and
// styles (no inline script, no eval, no CDN: the machine may have no
// internet and the token in sessionStorage must stay out of reach of
// anything injected), talk only to this origin, and not be framed.
const ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler serves the UI: "/" is the application's page, "/ui/…" its
// assets. Both need no identity (authz.Exempt): they hold no data.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	files := http.FileServer(http.FS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", ContentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		// The assets change with the binary: revalidate (they are small,
		// and a stale module after an upgrade would break the page).
		h.Set("Cache-Control", "no-cache")
		switch {
		case r.URL.Path == "/" || r.URL.Path == "/index.html":
			http.ServeFileFS(w, r, sub, "index.html")
		case strings.HasPrefix(r.URL.Path, "/ui/") && !strings.HasSuffix(r.URL.Path, "/"):
			r2 := r.Clone(r.Context())
			r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/ui")
			files.ServeHTTP(w, r2)
		default:
			http.NotFound(w, r)
		}
	})
}

// IsAsset reports whether a GET path is one Handler serves: the
// authorizer lets it through without an identity.
func IsAsset(path string) bool {
	return path == "/" || path == "/index.html" || (strings.HasPrefix(path, "/ui/") && !strings.Contains(path, ".."))
}
