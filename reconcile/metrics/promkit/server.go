package promkit

import (
	"context"
	"net"

	"github.com/prometheus/client_golang/prometheus"
)

// ListenHelp begins the help of a --metrics-listen flag (the controller's
// and the agent's); each adds who may read beyond loopback.
const ListenHelp = `address of the Prometheus /metrics endpoint ("" or "0" turns it off): plain HTTP on a loopback address; on any other address HTTPS with the cluster CA, answering only `

// Server is an opened endpoint, served by Run.
type Server struct {
	e   Endpoint
	ln  net.Listener
	reg *prometheus.Registry
}

// Open checks and opens the endpoint (nil when it is off), so that a taken
// port fails the start rather than a goroutine later.
func Open(e Endpoint, reg *prometheus.Registry) (*Server, error) {
	ln, err := e.Listen()
	if err != nil || ln == nil {
		return nil, err
	}
	return &Server{e: e, ln: ln, reg: reg}, nil
}

// Run serves until ctx ends (nothing for an endpoint that is off).
func (s *Server) Run(ctx context.Context) error {
	if s == nil {
		return nil
	}
	return ServeOn(ctx, s.e, s.ln, s.reg)
}
