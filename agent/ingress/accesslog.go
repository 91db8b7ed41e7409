package ingress

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// recorder keeps the status and size for the access log; Unwrap lets
// http.ResponseController (the reverse proxy's flushes and the WebSocket
// hijack) reach the real writer.
type recorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wroteHeader && code >= 200 {
		r.status, r.wroteHeader = code, true
	}
	if code == http.StatusSwitchingProtocols {
		r.status, r.wroteHeader = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(p)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one line in the combined log format, followed by what
// ingress-nginx's upstreaminfo format adds: the host, the Ingress, the
// upstream address and the request time.
func (s *Server) accessLog(r *http.Request, rec *recorder, rt *routed, d time.Duration) {
	client, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client = r.RemoteAddr
	}
	ing, upstream := "-", "-"
	if rt.backend != nil {
		ing = rt.backend.Ingress
	}
	if rt.upstream != "" {
		upstream = rt.upstream
	}
	line := fmt.Sprintf("%s - - [%s] %q %d %d %q %q host=%s ingress=%s upstream=%s request_time=%.3f",
		client, time.Now().Format("02/Jan/2006:15:04:05 -0700"), r.Method+" "+r.URL.RequestURI()+" "+r.Proto,
		rec.status, rec.bytes, r.Referer(), r.UserAgent(), strings.ToLower(r.Host), ing, upstream, d.Seconds())
	s.Log.Info(line)
}
