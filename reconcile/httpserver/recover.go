package httpserver

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in next into an answer built by answer (a 500 with
// a Status body, for the API) and a log line with the method, the path (not
// the query, which may carry a name the user considers private, nor any
// header or body) and the stack. The server keeps serving: the panic ends
// only this request. http.ErrAbortHandler is re-raised, as net/http expects.
func Recover(log *slog.Logger, answer func(w http.ResponseWriter, r *http.Request, v any), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			if log != nil {
				log.Error("HTTP handler panicked; the request failed, the server keeps serving",
					"method", r.Method, "path", r.URL.Path, "panic", clip(fmt.Sprint(v), 200), "stack", string(debug.Stack()))
			}
			answer(w, r, v)
		}()
		next.ServeHTTP(w, r)
	})
}

// clip keeps a panic message short: it may quote the data that caused it.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
