package proxy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// The service health server, as kube-proxy's: every node answers on the
// healthCheckNodePort of each LoadBalancer Service with
// externalTrafficPolicy Local, 200 when it has a ready local endpoint of
// the service and 503 when it has none, so an external load balancer sends
// clients only to nodes that keep their address and can serve them.

// HealthCheck is what a node answers on one healthCheckNodePort.
type HealthCheck struct {
	Namespace, Name string
	// LocalEndpoints counts the service's ready endpoints on this node.
	LocalEndpoints int
}

// HealthChecks returns, by healthCheckNodePort, the health checks of the
// LoadBalancer Services with externalTrafficPolicy Local (pure): their
// ready endpoints whose nodeName is node, each pod counted once.
func HealthChecks(services []*corev1.Service, endpoints []*corev1.Endpoints, node string) map[int32]HealthCheck {
	eps := map[nsName]*corev1.Endpoints{}
	for _, e := range endpoints {
		eps[nsName{e.Namespace, e.Name}] = e
	}
	out := map[int32]HealthCheck{}
	for _, s := range services {
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer || s.Spec.ExternalTrafficPolicy != corev1.ServiceExternalTrafficPolicyLocal || s.Spec.HealthCheckNodePort == 0 {
			continue
		}
		hc := HealthCheck{Namespace: s.Namespace, Name: s.Name}
		if ep := eps[nsName{s.Namespace, s.Name}]; ep != nil && node != "" {
			seen := map[string]bool{}
			for _, ss := range ep.Subsets {
				for _, a := range ss.Addresses {
					if a.NodeName != nil && *a.NodeName == node && !seen[a.IP] {
						seen[a.IP] = true
						hc.LocalEndpoints++
					}
				}
			}
		}
		out[s.Spec.HealthCheckNodePort] = hc
	}
	return out
}

// ServeHealthCheck answers one health check request in kube-proxy's
// format: JSON {"service": {"namespace", "name"}, "localEndpoints",
// "serviceProxyHealthy"}, the header X-Load-Balancing-Endpoint-Weight
// with the count, 200 with local endpoints and a healthy proxy, else 503.
func ServeHealthCheck(w http.ResponseWriter, hc HealthCheck, proxyHealthy bool) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Load-Balancing-Endpoint-Weight", strconv.Itoa(hc.LocalEndpoints))
	if hc.LocalEndpoints > 0 && proxyHealthy {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	fmt.Fprintf(w, "{\n\t\"service\": {\n\t\t\"namespace\": %q,\n\t\t\"name\": %q\n\t},\n\t\"localEndpoints\": %d,\n\t\"serviceProxyHealthy\": %v\n}",
		hc.Namespace, hc.Name, hc.LocalEndpoints, proxyHealthy)
}

// HealthServer listens on the health check ports Sync is given (on every
// address of the node) and closes the ones it no longer is. Safe for
// concurrent use.
type HealthServer struct {
	// Listen opens a port (default net.Listen on ":port"); tests listen
	// on loopback.
	Listen func(port int32) (net.Listener, error)
	Log    *slog.Logger

	mu      sync.Mutex
	servers map[int32]*healthPort
}

type healthPort struct {
	srv   *http.Server
	check atomic.Pointer[HealthCheck]
}

// Sync serves checks: opens the new ports, updates the counts of the
// others, closes the ports no longer in checks. A port that cannot be
// opened (in use by another program) is logged and tried again at the
// next Sync; the error names every such port.
func (h *HealthServer) Sync(checks map[int32]HealthCheck) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.servers == nil {
		h.servers = map[int32]*healthPort{}
	}
	for port, hp := range h.servers {
		if _, ok := checks[port]; !ok {
			hp.srv.Close()
			delete(h.servers, port)
		}
	}
	var errs []error
	for port, hc := range checks {
		if hp := h.servers[port]; hp != nil {
			hp.check.Store(&hc)
			continue
		}
		ln, err := h.listen(port)
		if err != nil {
			errs = append(errs, fmt.Errorf("health check port %d of service %s/%s: %w (is another program on it?)", port, hc.Namespace, hc.Name, err))
			continue
		}
		hp := &healthPort{}
		hp.check.Store(&hc)
		hp.srv = &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			ServeHealthCheck(w, *hp.check.Load(), true)
		})}
		go func() {
			if err := hp.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && h.Log != nil {
				h.Log.Error("health check server stopped", "port", port, "err", err)
			}
		}()
		h.servers[port] = hp
	}
	return errors.Join(errs...)
}

func (h *HealthServer) listen(port int32) (net.Listener, error) {
	if h.Listen != nil {
		return h.Listen(port)
	}
	var lc net.ListenConfig
	return lc.Listen(context.Background(), "tcp", ":"+strconv.Itoa(int(port)))
}

// Close closes every port.
func (h *HealthServer) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for port, hp := range h.servers {
		hp.srv.Close()
		delete(h.servers, port)
	}
}

// Ports returns the ports being served (for tests and logs).
func (h *HealthServer) Ports() []int32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]int32, 0, len(h.servers))
	for p := range h.servers {
		out = append(out, p)
	}
	return out
}
