package apiserver

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// keepControllerSpec carries into a re-registering agent's Node what the
// agent does not own: spec.unschedulable (reconcile cordon) and the taints
// (the node controller's, which follow the Ready condition and cordon). As
// with the kubelet, a restarted agent does not uncordon its node.
func keepControllerSpec(stored, registering *corev1.Node) {
	registering.Spec.Unschedulable = stored.Spec.Unschedulable
	registering.Spec.Taints = stored.Spec.Taints
}

// nodePatch is the one patch of a Node the API takes: kubectl cordon's
// {"spec":{"unschedulable":true}}.
type nodePatch struct {
	Spec struct {
		Unschedulable *bool `json:"unschedulable"`
	} `json:"spec"`
}

// decodeNodePatch reads a merge patch of a Node that may set only
// spec.unschedulable; anything else is refused, naming what.
func decodeNodePatch(body io.Reader) (bool, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return false, apierrors.New(apierrors.ReasonBadRequest, "reading the patch: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var p nodePatch
	if err := dec.Decode(&p); err != nil {
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if field != err.Error() {
			return false, apierrors.New(apierrors.ReasonInvalid, "a Node patch may set only spec.unschedulable (reconcile cordon/uncordon), not %s: the agent and the node controller own the rest", field)
		}
		return false, apierrors.New(apierrors.ReasonBadRequest, "the body is not a Node merge patch: %v", err)
	}
	if dec.More() {
		return false, apierrors.New(apierrors.ReasonBadRequest, "the body holds more than one JSON value")
	}
	if p.Spec.Unschedulable == nil {
		return false, apierrors.New(apierrors.ReasonInvalid, `the patch does not set spec.unschedulable: send {"spec":{"unschedulable":true}} to cordon, false to uncordon`)
	}
	return *p.Spec.Unschedulable, nil
}

// patchNode serves PATCH /api/v1/nodes/{name}: cordon and uncordon. It
// sets spec.unschedulable and answers the updated Node; the scheduler
// places no new pods on an unschedulable node, and the node controller
// adds (removes) the node.kubernetes.io/unschedulable:NoSchedule taint.
func (s *Server) patchNode(w http.ResponseWriter, r *http.Request) {
	unschedulable, err := decodeNodePatch(io.LimitReader(r.Body, maxBody))
	if err != nil {
		writeErr(w, err)
		return
	}
	name := r.PathValue("name")
	var out *corev1.Node
	err = s.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.Get(objects.Key{Kind: "Node", Name: name})
		if err != nil {
			return err
		}
		n := cur.(*corev1.Node)
		if n.Spec.Unschedulable != unschedulable {
			n.Spec.Unschedulable = unschedulable
			if err := tx.Update(n); err != nil {
				return err
			}
		}
		o, err := tx.Get(objects.Key{Kind: "Node", Name: name})
		out, _ = o.(*corev1.Node)
		return err
	})
	if apierrors.Is(err, apierrors.ReasonNotFound) {
		writeErr(w, apierrors.New(apierrors.ReasonNotFound, "node %q not found: `reconcile get nodes` lists the registered ones", name))
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}
