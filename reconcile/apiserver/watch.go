package apiserver

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// watch streams store events after resourceVersion as JSON lines, through
// the server's fan-out (fanout.go): a node gets what authz.Visibility lets
// it see at the time of the event, ?kind= and ?node= narrow it. A
// resourceVersion older than the store's history answers 410 Gone: the
// client lists again and watches from the list's resourceVersion. The
// stream ends when the client falls watchBuffer events behind; the client
// lists again then too.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	rv, err := strconv.ParseUint(q.Get("resourceVersion"), 10, 64)
	if err != nil && q.Get("resourceVersion") != "" {
		writeError(w, http.StatusBadRequest, errors.New("resourceVersion must be a number: take it from a list's metadata.resourceVersion"))
		return
	}
	spec := watchSpec{id: identity(r), node: q.Get("node")}
	if q.Get("kind") != "" {
		k, ok := kindFor(w, q.Get("kind"))
		if !ok {
			return
		}
		spec.kind = k.Kind
	}
	show := reveal(r)
	ctx := r.Context()
	// ?once=true ends the stream after its first event, timeoutSeconds
	// (Kubernetes' watch parameter) after that long: an agent's long poll
	// then gets a complete response instead of closing the stream itself,
	// and keeps its connection (HTTP/1.1 drops a connection whose response
	// was not read to its end: each pod change on a node, and each 30 s
	// poll, cost a new TLS connection, 13 % of the controller's CPU while
	// 60,000 pods started on 2,000 nodes; BENCHMARKS.md, issue 13:
	// 150,000 pods). The header tells the client it may read to the end.
	once := q.Get("once") == "true"
	if t := q.Get("timeoutSeconds"); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n <= 0 {
			writeError(w, http.StatusBadRequest, errors.New("timeoutSeconds must be a whole number of seconds above 0"))
			return
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Duration(n)*time.Second)
		defer cancel()
	}
	fan := s.fanout()
	sub, err := fan.subscribe(ctx, spec, rv)
	if errors.Is(err, store.ErrGone) {
		writeError(w, http.StatusGone, err)
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	defer sub.close()
	httpserver.Stream(w) // a watch outlives the server's read and write timeouts
	w.Header().Set("Content-Type", "application/json")
	if once {
		w.Header().Set(apitypes.WatchOnceHeader, "true")
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	if flusher != nil {
		flusher.Flush()
	}
	for {
		ev, ok := sub.next(ctx)
		if !ok {
			return
		}
		line, err := ev.line(show)
		if err != nil {
			s.logError("watch: encoding "+objects.KeyOf(ev.Object).String(), err)
			return
		}
		httpserver.Extend(w)
		if _, err := w.Write(line); err != nil {
			return
		}
		if sub.live {
			fan.observe(ev)
		}
		if once {
			return // the response ends: its end reaches the client at once
		}
		if flusher != nil && !sub.more() {
			flusher.Flush()
		}
	}
}

// fanout is the server's watch fan-out, started by the first watch.
func (s *Server) fanout() *fanout {
	s.fanOnce.Do(func() {
		s.fan = newFanout(s.Store, s.logError)
		s.fan.observer, _ = s.Observer.(WatchObserver)
	})
	return s.fan
}

// WatchDelay is the distribution of the time from an event's arrival in
// the watch fan-out (right after its commit) to its write on a watch's
// connection, over every live delivery so far (replays of events a watch
// started before are not counted). The scale benchmark reports it as the
// watch fan-out latency; Reset it between phases.
func (s *Server) WatchDelay() *DelayHistogram { return s.fanout().delay }

// WatchesDropped counts the watches closed because they fell
// watchBuffer events behind.
func (s *Server) WatchesDropped() int64 { return s.fanout().dropped.Load() }

func boundTo(o objects.Object, node string) bool {
	p, ok := o.(*corev1.Pod)
	return ok && p.Spec.NodeName == node
}
