package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// probeClient is shared by every httpGet probe. Like the kubelet it skips
// TLS verification (HTTPS probes check liveness, not identity) and keeps no
// connections alive, so a probe sees a fresh accept each time.
var probeClient = &http.Client{
	Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, DisableKeepAlives: true,
		Proxy: nil},
	CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	},
}

// runProbe checks a target once within timeout and says whether it passed
// and, when not, why (the message of the Unhealthy event).
func runProbe(ctx context.Context, rt Runtime, containerID string, t probeTarget, timeout time.Duration) (bool, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case t.Exec != nil:
		code, out, err := rt.Exec(ctx, containerID, t.Exec)
		if ctx.Err() != nil {
			return false, fmt.Sprintf("command %q timed out after %s", strings.Join(t.Exec, " "), timeout)
		}
		if err != nil {
			return false, fmt.Sprintf("command %q could not run: %v", strings.Join(t.Exec, " "), err)
		}
		if code != 0 {
			return false, fmt.Sprintf("command %q exited with %d: %s", strings.Join(t.Exec, " "), code, strings.TrimSpace(out))
		}
		return true, ""
	case t.URL != "":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
		if err != nil {
			return false, err.Error()
		}
		req.Header.Set("User-Agent", "reconcile-probe/1.0")
		for k, v := range t.Headers {
			req.Header.Set(k, v)
		}
		if t.Host != "" {
			req.Host = t.Host
		}
		resp, err := probeClient.Do(req)
		if err != nil {
			return false, fmt.Sprintf("Get %q: %v", t.URL, unwrapURLError(err))
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 10<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return false, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode)
		}
		return true, ""
	case t.GRPC:
		return grpcProbe(ctx, t.Addr, t.GRPCService, timeout)
	default:
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", t.Addr)
		if err != nil {
			return false, fmt.Sprintf("dial tcp %s: %v", t.Addr, unwrapURLError(err))
		}
		conn.Close()
		return true, ""
	}
}

func unwrapURLError(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}
