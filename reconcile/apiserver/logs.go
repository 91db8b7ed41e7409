package apiserver

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// podLog proxies GET /api/v1/pods/{name}/log?namespace&container&follow&previous&tailLines&timestamps
// to the agent of the pod's node, as the Kubernetes API server does to the
// kubelet: the agent's log port is the Node's
// status.daemonEndpoints.kubeletEndpoint.port, its host the Node's
// InternalDNS, else InternalIP, else Hostname address. Over TLS
// (s.AgentTLS) the controller presents its own client certificate and
// accepts only the certificate of that node (pki.VerifyNodeChain).
func (s *Server) podLog(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ns := q.Get("namespace")
	if ns == "" {
		ns = "default"
	}
	key := objects.Key{Kind: "Pod", Namespace: ns, Name: r.PathValue("name")}
	o, err := s.Store.Get(key)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("pod %s/%s not found", ns, key.Name))
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	pod := o.(*corev1.Pod)
	container, err := logContainer(pod, q.Get("container"))
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if pod.Spec.NodeName == "" {
		writeError(w, http.StatusBadRequest, fmt.Errorf("pod %s/%s is not scheduled to a node yet: no logs", ns, pod.Name))
		return
	}
	target, err := s.agentLogURL(pod, container, q)
	if err != nil {
		writeError(w, http.StatusBadGateway, err)
		return
	}
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
	if err != nil {
		writeErr(w, err)
		return
	}
	rt := http.DefaultTransport
	if s.AgentTLS != nil {
		// One connection per log request: logs are rare, and each node's
		// connection must be verified for that node.
		t := &http.Transport{TLSClientConfig: s.AgentTLS(pod.Spec.NodeName), DisableKeepAlives: true,
			Proxy: nil, TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: 30 * time.Second}
		defer t.CloseIdleConnections()
		rt = t
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		writeError(w, http.StatusBadGateway, fmt.Errorf("cannot reach the agent of node %s for logs: %v (is its --listen-logs address reachable from the controller?)", pod.Spec.NodeName, err))
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		writeError(w, resp.StatusCode, fmt.Errorf("agent of node %s: %s", pod.Spec.NodeName, strings.TrimSpace(string(b))))
		return
	}
	httpserver.Stream(w) // a followed log outlives the server's timeouts
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			httpserver.Extend(w)
			if _, werr := w.Write(buf[:n]); werr != nil {
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if err != nil {
			return
		}
	}
}

// logContainer defaults the container as kubectl does: the only one, else
// the caller must choose.
func logContainer(pod *corev1.Pod, name string) (string, error) {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	if name == "" {
		if len(pod.Spec.Containers) == 1 {
			return pod.Spec.Containers[0].Name, nil
		}
		return "", fmt.Errorf("a container name must be specified for pod %s, choose one of: [%s] (use -c)", pod.Name, strings.Join(names, " "))
	}
	for _, n := range names {
		if n == name {
			return name, nil
		}
	}
	return "", fmt.Errorf("container %s is not valid for pod %s: choose one of [%s]", name, pod.Name, strings.Join(names, " "))
}

func (s *Server) agentLogURL(pod *corev1.Pod, container string, q url.Values) (string, error) {
	o, err := s.Store.Get(objects.Key{Kind: "Node", Name: pod.Spec.NodeName})
	if err != nil {
		return "", fmt.Errorf("node %s of pod %s: %w", pod.Spec.NodeName, pod.Name, err)
	}
	node := o.(*corev1.Node)
	port := node.Status.DaemonEndpoints.KubeletEndpoint.Port
	if port == 0 {
		return "", fmt.Errorf("the agent of node %s serves no logs (it reports no log port; start it with --listen-logs)", node.Name)
	}
	host := ""
	for _, t := range []corev1.NodeAddressType{corev1.NodeInternalDNS, corev1.NodeInternalIP, corev1.NodeHostName} {
		for _, a := range node.Status.Addresses {
			if host == "" && a.Type == t {
				host = a.Address
			}
		}
	}
	if host == "" {
		return "", fmt.Errorf("node %s reports no address to reach its agent at", node.Name)
	}
	out := url.Values{}
	for _, k := range []string{"follow", "previous", "timestamps"} {
		if v, _ := strconv.ParseBool(q.Get(k)); v {
			out.Set(k, "true")
		}
	}
	if v := q.Get("tailLines"); v != "" {
		out.Set("tailLines", v)
	}
	scheme := "http"
	if s.AgentTLS != nil {
		scheme = "https"
	}
	u := url.URL{Scheme: scheme, Host: net.JoinHostPort(host, strconv.Itoa(int(port))),
		Path:     "/containerLogs/" + url.PathEscape(pod.Namespace) + "/" + url.PathEscape(pod.Name) + "/" + url.PathEscape(container),
		RawQuery: out.Encode()}
	return u.String(), nil
}
