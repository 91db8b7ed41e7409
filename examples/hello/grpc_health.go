package main

import (
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// serveGRPCHealth serves grpc.health.v1 on GRPC_HEALTH_PORT, so gRPC probes
// can be tried: a service turns NOT_SERVING while GRPC_HEALTH_DIR holds
// <service>.down ("server.down" for the whole server, service "").
func serveGRPCHealth() {
	port := os.Getenv("GRPC_HEALTH_PORT")
	if port == "" {
		return
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		log.Fatalf("grpc health: %v", err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	dir := os.Getenv("GRPC_HEALTH_DIR")
	go func() {
		files := map[string]string{"": "server.down", "liveness": "liveness.down", "readiness": "readiness.down"}
		last := map[string]healthpb.HealthCheckResponse_ServingStatus{}
		for {
			for service, file := range files {
				st := healthpb.HealthCheckResponse_SERVING
				if dir != "" {
					if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
						st = healthpb.HealthCheckResponse_NOT_SERVING
					}
				}
				if last[service] != st {
					log.Printf("grpc health: service %q is %s", service, st)
					hs.SetServingStatus(service, st)
					last[service] = st
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	log.Printf("grpc health listening on :%s", port)
	if err := srv.Serve(ln); err != nil {
		log.Printf("grpc health: %v", err)
	}
}
