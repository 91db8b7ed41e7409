package agent

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// gRPC probes against a real in-process grpc.health.v1 server.
func TestRunProbeGRPC(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go srv.Serve(ln)
	defer srv.Stop()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus("db", healthpb.HealthCheckResponse_NOT_SERVING)

	probe := func(service string) (bool, string) {
		return runProbe(context.Background(), nil, "", probeTarget{GRPC: true, Addr: addr, GRPCService: service}, 5*time.Second)
	}
	if ok, msg := probe(""); !ok {
		t.Errorf("SERVING: failed: %s", msg)
	}
	if ok, msg := probe("db"); ok || msg != `service unhealthy (responded with "NOT_SERVING")` {
		t.Errorf("NOT_SERVING: ok=%v msg %q", ok, msg)
	}
	if ok, msg := probe("nope"); ok || !strings.Contains(msg, "error: health rpc probe failed") || !strings.Contains(msg, "unknown service") {
		t.Errorf("unknown service: ok=%v msg %q", ok, msg)
	}
	hs.SetServingStatus("", healthpb.HealthCheckResponse_NOT_SERVING)
	if ok, msg := probe(""); ok || !strings.Contains(msg, "NOT_SERVING") {
		t.Errorf("flipped to NOT_SERVING: ok=%v msg %q", ok, msg)
	}

	// A gRPC server without the health service.
	bare, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bareSrv := grpc.NewServer()
	go bareSrv.Serve(bare)
	defer bareSrv.Stop()
	if ok, msg := runProbe(context.Background(), nil, "", probeTarget{GRPC: true, Addr: bare.Addr().String()}, 5*time.Second); ok ||
		!strings.Contains(msg, "does not implement the grpc health protocol") {
		t.Errorf("no health service: ok=%v msg %q", ok, msg)
	}

	// No server at all.
	srv.Stop()
	if ok, msg := probe(""); ok || !strings.Contains(msg, "failed to connect service at \""+addr+"\"") {
		t.Errorf("no server: ok=%v msg %q", ok, msg)
	}

	// A listener that never speaks HTTP/2: the probe's timeout ends it.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		for {
			c, err := mute.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	if ok, msg := runProbe(context.Background(), nil, "", probeTarget{GRPC: true, Addr: mute.Addr().String()}, 300*time.Millisecond); ok ||
		(!strings.Contains(msg, "timeout") && !strings.Contains(msg, "failed to connect")) {
		t.Errorf("mute server: ok=%v msg %q", ok, msg)
	}
}
