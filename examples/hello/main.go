// Command hello is the demo image of reconcile: a static HTTP server that
// answers with its hostname, its version and a value from its config, so a
// person can see which pod answered and which release it runs.
//
// Endpoints: "/" (the greeting), "/healthz" (liveness), "/ready"
// (readiness) and "/ws" (a WebSocket that echoes every message, to try an
// Ingress's WebSocket upgrade). Failure modes for trying probes and restarts, by environment:
//
//	FAIL_READY=1      /ready answers 503 (the pod never becomes ready)
//	FAIL_LIVE=1       /healthz answers 500 (a liveness probe restarts it)
//	EXIT_AFTER=5s     exit after that long, with EXIT_CODE (default 1)
//	TERMINATION_MESSAGE=text  written to /dev/termination-log before exiting
//	ALLOC_MB=64       allocate and touch that many MiB at start (try memory limits)
//	SIGTERM_FILE=path append a line to path on SIGTERM (see graceful termination)
//	GRPC_HEALTH_PORT=9090  also serve grpc.health.v1 there (gRPC probes); the
//	                  services "", "liveness" and "readiness" answer SERVING
//	                  unless the file $GRPC_HEALTH_DIR/<service>.down exists
//	                  ("server.down" for ""), checked every 200 ms
//
// `hello cat|stat|write …` are small file tools for `podman exec` (tools.go).
//
// On SIGTERM it logs, stops accepting connections, finishes the requests in
// flight and exits 0.
//
// `hello job ...` is a Job's work instead (see job.go): it prints its
// JOB_COMPLETION_INDEX and hostname and exits with a code chosen per index.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/net/websocket"
)

// version is set at build time with -ldflags "-X main.version=v2".
var version = "dev"

func main() {
	if code, ran := runTool(os.Args[1:]); ran { // tools.go: cat, stat, write
		os.Exit(code)
	}
	if len(os.Args) > 1 && os.Args[1] == "job" {
		os.Exit(jobMain(os.Args[2:]))
	}
	addr := flag.String("listen", ":8080", "address to listen on")
	flag.Parse()
	host, _ := os.Hostname()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from %s version=%s greeting=%q\n", host, version, greeting())
	})
	mux.Handle("/ws", websocket.Handler(func(c *websocket.Conn) { _, _ = io.Copy(c, c) }))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("FAIL_LIVE") != "" {
			http.Error(w, "unhealthy (FAIL_LIVE is set)", http.StatusInternalServerError)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/ready", func(w http.ResponseWriter, r *http.Request) {
		if os.Getenv("FAIL_READY") != "" {
			http.Error(w, "not ready (FAIL_READY is set)", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ready")
	})
	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	hog := allocate()
	go exitLater()
	go tick()
	go serveGRPCHealth()
	go func() {
		terms := make(chan os.Signal, 1)
		signal.Notify(terms, syscall.SIGTERM, syscall.SIGINT)
		sig := <-terms
		log.Printf("received %s, shutting down", sig)
		if f := os.Getenv("SIGTERM_FILE"); f != "" {
			if fh, err := os.OpenFile(f, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintf(fh, "%s %s\n", host, sig)
				fh.Close()
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}()
	log.Printf("hello %s listening on %s", version, *addr)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
	log.Printf("hello %s stopped", version)
	_ = hog
}

// allocate takes ALLOC_MB MiB and writes every page, so they count against
// the container's memory limit.
func allocate() [][]byte {
	mb, _ := strconv.Atoi(os.Getenv("ALLOC_MB"))
	var hog [][]byte
	for i := 0; i < mb; i++ {
		b := make([]byte, 1<<20)
		for j := range b {
			b[j] = byte(j)
		}
		hog = append(hog, b)
	}
	if mb > 0 {
		log.Printf("allocated %d MiB", mb)
	}
	return hog
}

// exitLater exits after EXIT_AFTER with EXIT_CODE (default 1), leaving
// TERMINATION_MESSAGE in /dev/termination-log.
// tick logs "tick N" every LOG_EVERY (a duration; unset: never), so a
// test can watch a log stream receive lines while it is open.
func tick() {
	d, err := time.ParseDuration(os.Getenv("LOG_EVERY"))
	if err != nil || d <= 0 {
		return
	}
	for i := 1; ; i++ {
		time.Sleep(d)
		log.Printf("tick %d", i)
	}
}

func exitLater() {
	d, err := time.ParseDuration(os.Getenv("EXIT_AFTER"))
	if err != nil || d <= 0 {
		return
	}
	time.Sleep(d)
	code := 1
	if c, err := strconv.Atoi(os.Getenv("EXIT_CODE")); err == nil {
		code = c
	}
	if msg := os.Getenv("TERMINATION_MESSAGE"); msg != "" {
		os.WriteFile("/dev/termination-log", []byte(msg), 0o644)
	}
	log.Printf("exiting with code %d after %s (EXIT_AFTER)", code, d)
	os.Exit(code)
}

// greeting reads GREETING from the environment, or the file named by
// GREETING_FILE (a mounted ConfigMap key), so both ways of passing config work.
func greeting() string {
	if f := os.Getenv("GREETING_FILE"); f != "" {
		if b, err := os.ReadFile(f); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return os.Getenv("GREETING")
}
