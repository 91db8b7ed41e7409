package agent

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ProbeKind is which of a container's three probes.
type ProbeKind string

const (
	Liveness  ProbeKind = "Liveness"
	Readiness ProbeKind = "Readiness"
	Startup   ProbeKind = "Startup"
)

// probeParams are a probe's timings and thresholds with Kubernetes' defaults
// filled in (period 10 s, timeout 1 s, successThreshold 1, failureThreshold 3).
type probeParams struct {
	InitialDelay, Period, Timeout      time.Duration
	SuccessThreshold, FailureThreshold int
}

func paramsOf(p *corev1.Probe, kind ProbeKind) probeParams {
	pp := probeParams{InitialDelay: time.Duration(p.InitialDelaySeconds) * time.Second,
		Period: time.Duration(p.PeriodSeconds) * time.Second, Timeout: time.Duration(p.TimeoutSeconds) * time.Second,
		SuccessThreshold: int(p.SuccessThreshold), FailureThreshold: int(p.FailureThreshold)}
	if pp.Period <= 0 {
		pp.Period = 10 * time.Second
	}
	if pp.Timeout <= 0 {
		pp.Timeout = time.Second
	}
	// Liveness and startup probes must have successThreshold 1 (Kubernetes
	// validation); readiness may ask for more.
	if pp.SuccessThreshold <= 0 || kind != Readiness {
		pp.SuccessThreshold = 1
	}
	if pp.FailureThreshold <= 0 {
		pp.FailureThreshold = 3
	}
	return pp
}

// probeState is one probe's running result: the counts of consecutive
// outcomes and the result they add up to.
type probeState struct {
	Success   bool // the probe's current result
	Successes int  // consecutive successes
	Failures  int  // consecutive failures
	Message   string
}

// initialProbeState is a probe's result before it has run: a container is
// not ready and not started until its probes say so, and alive until its
// liveness probe says otherwise.
func initialProbeState(kind ProbeKind) probeState {
	return probeState{Success: kind == Liveness}
}

// probeStep folds one outcome into the state. The result flips to success
// after SuccessThreshold consecutive successes and to failure after
// FailureThreshold consecutive failures; in between it holds. It is pure.
func probeStep(s probeState, ok bool, msg string, pp probeParams) probeState {
	if ok {
		s.Successes++
		s.Failures = 0
		if s.Successes >= pp.SuccessThreshold {
			s.Success = true
			s.Message = ""
		}
		return s
	}
	s.Failures++
	s.Successes = 0
	s.Message = msg
	if s.Failures >= pp.FailureThreshold {
		s.Success = false
	}
	return s
}

// probeTarget is what one probe checks, resolved against the pod: a
// command, a URL or a host:port.
type probeTarget struct {
	Exec    []string
	URL     string
	Headers map[string]string
	Host    string // Host header of httpGet
	Addr    string // tcpSocket or grpc host:port
	// GRPC is set for a grpc probe: Addr is the pod IP and port, and
	// GRPCService the service asked for ("" is the whole server).
	GRPC        bool
	GRPCService string
}

func (t probeTarget) String() string {
	switch {
	case t.Exec != nil:
		return "exec " + strings.Join(t.Exec, " ")
	case t.URL != "":
		return "GET " + t.URL
	case t.GRPC:
		return "grpc " + t.Addr + " service " + strconv.Quote(t.GRPCService)
	default:
		return "tcp " + t.Addr
	}
}

// resolveProbe turns a probe into a target: httpGet and tcpSocket go to the
// pod IP (or the probe's host) and a port number or a container port name.
func resolveProbe(p *corev1.Probe, c *corev1.Container, podIP string) (probeTarget, error) {
	switch {
	case p.Exec != nil:
		if len(p.Exec.Command) == 0 {
			return probeTarget{}, fmt.Errorf("exec probe has no command")
		}
		return probeTarget{Exec: p.Exec.Command}, nil
	case p.HTTPGet != nil:
		port, err := probePort(p.HTTPGet.Port, c)
		if err != nil {
			return probeTarget{}, err
		}
		host := p.HTTPGet.Host
		if host == "" {
			host = podIP
		}
		scheme := strings.ToLower(string(p.HTTPGet.Scheme))
		if scheme == "" {
			scheme = "http"
		}
		path := p.HTTPGet.Path
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		t := probeTarget{URL: scheme + "://" + net.JoinHostPort(host, strconv.Itoa(port)) + path}
		for _, h := range p.HTTPGet.HTTPHeaders {
			if strings.EqualFold(h.Name, "Host") {
				t.Host = h.Value
				continue
			}
			if t.Headers == nil {
				t.Headers = map[string]string{}
			}
			t.Headers[h.Name] = h.Value
		}
		return t, nil
	case p.TCPSocket != nil:
		port, err := probePort(p.TCPSocket.Port, c)
		if err != nil {
			return probeTarget{}, err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = podIP
		}
		return probeTarget{Addr: net.JoinHostPort(host, strconv.Itoa(port))}, nil
	case p.GRPC != nil:
		if p.GRPC.Port <= 0 || p.GRPC.Port > 65535 {
			return probeTarget{}, fmt.Errorf("grpc probe port %d is out of range", p.GRPC.Port)
		}
		t := probeTarget{GRPC: true, Addr: net.JoinHostPort(podIP, strconv.Itoa(int(p.GRPC.Port)))}
		if p.GRPC.Service != nil {
			t.GRPCService = *p.GRPC.Service
		}
		return t, nil
	}
	return probeTarget{}, fmt.Errorf("probe has no handler: set exec, httpGet, tcpSocket or grpc")
}

func probePort(port intstr.IntOrString, c *corev1.Container) (int, error) {
	if port.Type == intstr.Int {
		if port.IntVal <= 0 || port.IntVal > 65535 {
			return 0, fmt.Errorf("probe port %d is out of range", port.IntVal)
		}
		return int(port.IntVal), nil
	}
	if n, err := strconv.Atoi(port.StrVal); err == nil {
		return n, nil
	}
	for _, p := range c.Ports {
		if p.Name == port.StrVal {
			return int(p.ContainerPort), nil
		}
	}
	return 0, fmt.Errorf("probe port %q names no port of container %s; add it to ports or use a number", port.StrVal, c.Name)
}

// ProbeResults are the probe results of one container incarnation (by
// container ID) as Sync and Status use them; the zero value is right for a
// container whose probes have not run yet: not ready, not started, alive.
type ProbeResults struct {
	Ready   bool // readiness result (only meaningful with a readiness probe)
	Started bool // startup probe succeeded (only meaningful with a startup probe)
	// Unhealthy is set when the liveness or startup probe failed past its
	// threshold: the container must be killed (and restarted per policy).
	Unhealthy string
}

func probeOf(c *corev1.Container, kind ProbeKind) *corev1.Probe {
	switch kind {
	case Liveness:
		return c.LivenessProbe
	case Readiness:
		return c.ReadinessProbe
	default:
		return c.StartupProbe
	}
}
