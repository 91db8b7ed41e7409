package agent

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The agent watches its container runtime (issue 8, hole 9): the supervisor
// of its own Podman service restarts the service when the socket is gone or
// stops answering a ping (not only when the process exits), and while the
// runtime does not answer the node reports Ready=False with reason
// ContainerRuntimeUnhealthy, as the kubelet reports its runtime-readiness,
// so the scheduler sends it no pods.

// ReasonRuntimeUnhealthy is the Ready condition's reason while Podman does
// not answer.
const ReasonRuntimeUnhealthy = "ContainerRuntimeUnhealthy"

// Pinger is the optional part of a Runtime that says whether it answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// NodeReadiness is the optional part of a ControlPlane that sets the node's
// Ready condition to what the agent says (PUT /api/v1/nodes/{name}/ready);
// a plain Heartbeat always means Ready=True.
type NodeReadiness interface {
	ReportNodeReady(ctx context.Context, node string, cond corev1.NodeCondition) error
}

// RuntimeCondition is the node's Ready condition for a runtime ping result:
// nil error → Ready=True (AgentReady), else Ready=False naming the runtime
// and the error. It is pure.
func RuntimeCondition(endpoint string, pingErr error, now time.Time) corev1.NodeCondition {
	t := metav1.NewTime(now.UTC().Truncate(time.Second))
	if pingErr == nil {
		return corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "AgentReady",
			Message: "reconcile agent is posting ready status", LastHeartbeatTime: t}
	}
	msg := fmt.Sprintf("container runtime is down: Podman at %s does not answer: %v", endpoint, pingErr)
	if len(msg) > 400 {
		msg = msg[:400] + "…"
	}
	return corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: ReasonRuntimeUnhealthy,
		Message: msg, LastHeartbeatTime: t}
}

// pingUnixSocket sends GET /_ping to a Podman service on a unix socket and
// wants "OK" within timeout.
func pingUnixSocket(ctx context.Context, sock string, timeout time.Duration) error {
	if _, err := os.Stat(sock); err != nil {
		return fmt.Errorf("socket %s: %w", sock, err)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://podman/_ping", nil)
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fmt.Errorf("ping %s: %w", sock, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(b)) != "OK" {
		return fmt.Errorf("ping %s: answered %s %q", sock, resp.Status, b)
	}
	return nil
}

// serviceHealth decides what the supervisor does after a check: restart
// the service when its socket is gone, or when it failed pingFailuresToRestart
// pings in a row (one slow answer under load is not enough). It is pure.
func serviceHealth(sockErr, pingErr error, failures int) (restart bool, reason string, failuresAfter int) {
	switch {
	case sockErr != nil:
		return true, fmt.Sprintf("its socket is gone (%v)", sockErr), 0
	case pingErr != nil:
		failures++
		if failures >= pingFailuresToRestart {
			return true, fmt.Sprintf("it did not answer %d pings in a row (last: %v)", failures, pingErr), 0
		}
		return false, "", failures
	}
	return false, "", 0
}

const pingFailuresToRestart = 2
