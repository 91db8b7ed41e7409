package apiserver

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
)

// usageRoutes: agents' usage reports and the metrics.k8s.io/v1beta1 read
// API over them (served when Server.Usage is set). The metrics paths are
// outside /api/v1, so the authorizer treats them as non-resource reads:
// people of every role may read them, nodes may not.
func (s *Server) usageRoutes(mux *http.ServeMux) {
	if s.Usage == nil {
		return
	}
	mux.HandleFunc("PUT /api/v1/nodes/{name}/usage", s.reportUsage)
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/pods", s.podMetrics)
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods", s.podMetrics)
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods/{name}", s.podMetrics)
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/nodes", s.nodeMetrics)
	mux.HandleFunc("GET /apis/metrics.k8s.io/v1beta1/nodes/{name}", s.nodeMetrics)
}

// reportUsage takes a node's report for the period: only pods bound to the
// node (authz.AdmitUsage), replacing its previous report.
func (s *Server) reportUsage(w http.ResponseWriter, r *http.Request) {
	node := r.PathValue("name")
	var rep podmetrics.NodeReport
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8<<20)).Decode(&rep); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("decoding the usage report of node %s: %w", node, err))
		return
	}
	if rep.Node != node {
		writeError(w, http.StatusBadRequest, fmt.Errorf("the usage report names node %q but was sent for node %q", rep.Node, node))
		return
	}
	a, _ := authz.ParseRequest(r.Method, r.URL)
	admitted, err := authz.AdmitUsage(identity(r), a, rep, s.graph())
	if err != nil {
		writeErr(w, err)
		return
	}
	s.Usage.Report(admitted)
	writeJSON(w, http.StatusOK, apitypes.Ack{Status: "ok"})
}

// podMetrics answers PodMetricsList, or one PodMetrics by name (404 when
// its node has not reported it).
func (s *Server) podMetrics(w http.ResponseWriter, r *http.Request) {
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	if name != "" {
		pm, ok := s.Usage.Pod(ns, name, "")
		if !ok {
			writeError(w, http.StatusNotFound, fmt.Errorf("podmetrics.metrics.k8s.io %q not found: no usage of pod %s/%s has been reported (its node reports every usage period)", name, ns, name))
			return
		}
		writeJSON(w, http.StatusOK, pm)
		return
	}
	writeJSON(w, http.StatusOK, podmetrics.PodList(s.Usage.Pods(ns)))
}

// nodeMetrics answers NodeMetricsList, or one NodeMetrics by name.
func (s *Server) nodeMetrics(w http.ResponseWriter, r *http.Request) {
	nodes := s.Usage.Nodes()
	name := r.PathValue("name")
	if name == "" {
		writeJSON(w, http.StatusOK, podmetrics.NodeList(nodes))
		return
	}
	for _, n := range nodes {
		if n.Name == name {
			writeJSON(w, http.StatusOK, n)
			return
		}
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("nodemetrics.metrics.k8s.io %q not found: node %s has not reported usage", name, name))
}
