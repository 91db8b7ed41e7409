package agent

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"strconv"

	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
)

// The agent's log server (what the kubelet's /containerLogs is): the API
// server proxies `reconcile logs` here. One route:
//
//	GET /containerLogs/{namespace}/{pod}/{container}?follow=true&previous=true&tailLines=N&timestamps=true
//
// previous selects the incarnation before the current one (the agent keeps
// it for lastState). Who may ask is decided by TLS (ServeLogs): only the
// controller's client certificate is accepted (pki.AgentServerTLS).

// LogHandler returns the log server's handler.
func (a *Agent) LogHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", a.containerLogs)
	return mux
}

// ServeLogs serves LogHandler on ln until ctx ends, over TLS when tc is
// set (it always is outside in-process tests: the command refuses to start
// a log server without the node's certificate).
func (a *Agent) ServeLogs(ctx context.Context, ln net.Listener, tc *tls.Config) error {
	// The product's timeouts; a followed log extends its own (flushWriter).
	// No grace at the end: followers end with the agent.
	h := httpserver.Recover(a.log, func(w http.ResponseWriter, r *http.Request, _ any) {
		http.Error(w, "internal error serving the log: see the agent's log", http.StatusInternalServerError)
	}, a.LogHandler())
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	return httpserver.Serve(ctx, httpserver.New(h, httpserver.Timeouts{}), ln, 0)
}

func (a *Agent) containerLogs(w http.ResponseWriter, r *http.Request) {
	ns, name, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	q := r.URL.Query()
	follow, previous := q.Get("follow") == "true", q.Get("previous") == "true"
	opts := LogOptions{Follow: follow, Timestamps: q.Get("timestamps") == "true"}
	if n := q.Get("tailLines"); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 {
			http.Error(w, fmt.Sprintf("tailLines %q: want a number ≥ 0", n), http.StatusBadRequest)
			return
		}
		opts.TailLines = v
	}
	id, status, err := a.findContainer(r.Context(), ns+"/"+name, container, previous)
	if err != nil {
		http.Error(w, err.Error(), status)
		return
	}
	if previous {
		opts.Follow = false // a previous container has ended
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	httpserver.Stream(w) // a followed log outlives the server's read and write timeouts
	fw := flushWriter{w}
	if err := a.opts.Runtime.Logs(r.Context(), id, opts, fw); err != nil && r.Context().Err() == nil {
		a.log.Warn("serving container log failed", "pod", ns+"/"+name, "container", container, "err", err)
	}
}

// findContainer picks the current (or previous) incarnation of a container
// of the newest Podman pod with that key.
func (a *Agent) findContainer(ctx context.Context, key, container string, previous bool) (string, int, error) {
	list, err := a.opts.Runtime.List(ctx)
	if err != nil {
		return "", http.StatusInternalServerError, err
	}
	var op *ObservedPod
	for i := range list {
		if list[i].Key == key && (op == nil || list[i].Created.After(op.Created)) {
			op = &list[i]
		}
	}
	if op == nil {
		return "", http.StatusNotFound, fmt.Errorf("pod %s has no containers on node %s (not started yet, or already removed)", key, a.opts.NodeName)
	}
	cur, ok := currentContainer(op.Containers, container)
	if !ok {
		return "", http.StatusNotFound, fmt.Errorf("container %q in pod %s is not started yet (or does not exist)", container, key)
	}
	if !previous {
		return cur.ID, http.StatusOK, nil
	}
	prev, ok := previousContainer(op.Containers, container, cur.Attempt)
	if !ok {
		return "", http.StatusBadRequest, fmt.Errorf("previous terminated container %q in pod %s not found", container, key)
	}
	return prev.ID, http.StatusOK, nil
}

// flushWriter sends every write at once, so `logs -f` shows lines as they come.
type flushWriter struct{ w http.ResponseWriter }

func (f flushWriter) Write(p []byte) (int, error) {
	httpserver.Extend(f.w)
	n, err := f.w.Write(p)
	if fl, ok := f.w.(http.Flusher); ok {
		fl.Flush()
	}
	return n, err
}
