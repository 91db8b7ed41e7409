package apiserver

import (
	"errors"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Cluster identity and adoption (issue 8): agents label every Podman object
// with the cluster's ID (GET /api/v1/cluster) and, after the store was lost
// and rebuilt from git, report the pods they still run (POST
// /api/v1/pods/adopt) so the workload controllers adopt them as orphans
// instead of starting new ones.

// AdoptResult is the answer of POST /api/v1/pods/adopt.
type AdoptResult struct {
	// Result: "adopted" (created with its uid), "exists" (already stored
	// with that uid), "name-taken" (another pod of that name exists: the
	// agent removes its own copy as for any pod no longer bound to it).
	Result  string `json:"result"`
	Message string `json:"message,omitempty"`
}

func (s *Server) clusterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /api/v1/cluster", s.clusterInfo)
	mux.HandleFunc("POST /api/v1/pods/adopt", s.adoptPod)
	mux.HandleFunc("PUT /api/v1/nodes/{name}/ready", s.reportNodeReady) // nodeready.go
}

func (s *Server) clusterInfo(w http.ResponseWriter, r *http.Request) {
	id, err := clusterid.Get(s.Store)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if id == "" {
		writeError(w, http.StatusNotFound, errors.New("this controller has no cluster ID yet (it is made at start); retry"))
		return
	}
	writeJSON(w, http.StatusOK, apitypes.ClusterInfo{ID: id, PodNetworkBackend: s.PodNetworkBackend})
}

// adoptPod re-creates a pod an agent runs but the store does not know,
// under its original uid, bound to the agent's node, with no owner: the
// controllers adopt it when their selector matches, as Kubernetes'
// controllers adopt orphans. Only Pods with a uid and a node are accepted;
// the status the agent observed is stored with it, so a controller that
// finds too many pods deletes the new, unready ones first.
func (s *Server) adoptPod(w http.ResponseWriter, r *http.Request) {
	var p corev1.Pod
	if !decodeBody(w, r, &p) {
		return
	}
	switch {
	case p.Name == "" || p.UID == "":
		writeError(w, http.StatusBadRequest, errors.New("adopt: the pod needs metadata.name and metadata.uid"))
		return
	case p.Spec.NodeName == "":
		writeError(w, http.StatusBadRequest, fmt.Errorf("adopt: pod %s has no spec.nodeName: only pods an agent runs are adopted", p.Name))
		return
	}
	if p.Namespace == "" {
		p.Namespace = "default"
	}
	objects.SetTypeMeta(&p, "Pod")
	if !s.admit(w, r, &p, nil) { // a node adopts only pods bound to itself
		return
	}
	p.OwnerReferences = nil // the controllers claim it by their selectors
	// Marked so that it lets its node read only what its controller's pod
	// template references too (reconcile/authz granted): its spec is the
	// node's word.
	if p.Annotations == nil {
		p.Annotations = map[string]string{}
	}
	p.Annotations[objects.AnnotationAdoptedFromNode] = p.Spec.NodeName
	p.DeletionTimestamp, p.DeletionGracePeriodSeconds, p.ResourceVersion = nil, nil, ""
	status := p.Status
	res := AdoptResult{Result: "adopted"}
	err := s.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.Get(objects.KeyOf(&p))
		switch {
		case err == nil && cur.GetUID() == p.UID:
			res = AdoptResult{Result: "exists"}
			return nil
		case err == nil:
			res = AdoptResult{Result: "name-taken", Message: fmt.Sprintf("pod %s/%s exists with uid %s", p.Namespace, p.Name, cur.GetUID())}
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		if err := tx.CreateWith(&p, store.CreateOptions{KeepUID: true}); err != nil {
			return err
		}
		p.Status = status
		return tx.UpdateStatus(&p)
	})
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if res.Result == "adopted" && s.Log != nil {
		s.Log.Info("pod adopted from its node", "pod", p.Namespace+"/"+p.Name, "uid", p.UID, "node", p.Spec.NodeName)
	}
	writeJSON(w, http.StatusOK, res)
}
