package httpserver

import (
	"net/http"
	"sync/atomic"
	"time"
)

// dateValue is one second's Date header value.
type dateValue struct {
	unix  int64
	value []string
}

var lastDate atomic.Pointer[dateValue]

// Date is the value of an answer's Date header at now (RFC 9110: an
// origin server with a clock sends one), formatted once per second and
// shared: net/http formats it for every answer whose handler set none,
// which was 2 % of the controller's CPU at 500 heartbeats a second
// (BENCHMARKS.md, issue 13: heartbeats, round 4). Set it on hot routes
// only, as w.Header()["Date"] = Date(now); callers must not modify the
// slice.
func Date(now time.Time) []string {
	sec := now.Unix()
	if d := lastDate.Load(); d != nil && d.unix == sec {
		return d.value
	}
	d := &dateValue{unix: sec, value: []string{now.UTC().Format(http.TimeFormat)}}
	lastDate.Store(d)
	return d.value
}
