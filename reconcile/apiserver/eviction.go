package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/disruption"
	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ReasonEvicted is the Normal event on a pod evicted through the eviction
// API (reconcile drain).
const ReasonEvicted = "Evicted"

// evictionComponent names the eviction API in the events it records.
const evictionComponent = "eviction-api"

// evictPod serves POST /api/v1/pods/{name}/eviction?namespace=NS, Kubernetes'
// eviction subresource (policy/v1 Eviction; the body may be empty): the pod
// is deleted gracefully, with its own terminationGracePeriodSeconds, so its
// agent stops it and its controller replaces it. deleteOptions.preconditions.uid
// makes sure the pod evicted is the one the caller saw (409 Conflict
// otherwise). A pod already terminating answers success again, as
// Kubernetes does. Answers 201 with {"status": "evicted"} (or
// "already terminating"), 404 for no such pod, 429 when a disruption budget
// forbids it (checkPodDisruptionBudgets).
func (s *Server) evictPod(w http.ResponseWriter, r *http.Request) {
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = "default"
	}
	key := objects.Key{Kind: "Pod", Namespace: ns, Name: r.PathValue("name")}
	ev, err := decodeEviction(io.LimitReader(r.Body, maxBody), key)
	if err != nil {
		writeErr(w, err)
		return
	}
	var uid types.UID
	if o := ev.DeleteOptions; o != nil && o.Preconditions != nil && o.Preconditions.UID != nil {
		uid = *o.Preconditions.UID
	}
	now := s.now()
	var answer string
	err = s.Store.Update(func(tx *store.Tx) error {
		answer, err = evict(tx, key, uid, now)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		writeErr(w, apierrors.New(apierrors.ReasonNotFound, "pod %s/%s not found", ns, key.Name))
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusCreated, apitypes.Ack{Status: answer})
}

// decodeEviction reads an Eviction body (an empty body is an eviction
// with no options) and refuses what is not supported, naming it.
func decodeEviction(body io.Reader, key objects.Key) (*policyv1.Eviction, error) {
	var ev policyv1.Eviction
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, apierrors.New(apierrors.ReasonBadRequest, "reading the eviction: %v", err)
	}
	if len(b) == 0 {
		return &ev, nil
	}
	if err := json.Unmarshal(b, &ev); err != nil {
		return nil, apierrors.New(apierrors.ReasonBadRequest, "the body is not a policy/v1 Eviction: %v", err)
	}
	if ev.Name != "" && ev.Name != key.Name || ev.Namespace != "" && ev.Namespace != key.Namespace {
		return nil, apierrors.New(apierrors.ReasonBadRequest, "the eviction names %s/%s, the path %s/%s", ev.Namespace, ev.Name, key.Namespace, key.Name)
	}
	if o := ev.DeleteOptions; o != nil {
		switch {
		case o.GracePeriodSeconds != nil:
			return nil, apierrors.New(apierrors.ReasonInvalid, "deleteOptions.gracePeriodSeconds is not supported: an evicted pod gets its own terminationGracePeriodSeconds")
		case len(o.DryRun) > 0:
			return nil, apierrors.New(apierrors.ReasonInvalid, "deleteOptions.dryRun is not supported")
		case o.Preconditions != nil && o.Preconditions.ResourceVersion != nil:
			return nil, apierrors.New(apierrors.ReasonInvalid, "deleteOptions.preconditions.resourceVersion is not supported: use preconditions.uid")
		}
	}
	return &ev, nil
}

// evict is the eviction in one transaction: checks, then a graceful
// deletion and an event. It returns what the answer says.
func evict(tx *store.Tx, key objects.Key, uid types.UID, now time.Time) (string, error) {
	o, err := tx.Get(key)
	if err != nil {
		return "", err
	}
	p := o.(*corev1.Pod)
	if uid != "" && p.UID != uid {
		return "", apierrors.New(apierrors.ReasonConflict, "Precondition failed: UID in precondition: %s, UID in object meta: %s (pod %s/%s was replaced)", uid, p.UID, p.Namespace, p.Name)
	}
	if p.DeletionTimestamp != nil {
		return "already terminating", nil
	}
	if err := checkPodDisruptionBudgets(tx, p, now); err != nil {
		return "", err
	}
	if err := tx.MarkDisrupted(key, store.ReasonEvictionByEvictionAPI, "Eviction API: evicting", now); err != nil {
		return "", err
	}
	if err := tx.DeletePodGracefully(key, now); err != nil {
		return "", err
	}
	msg := fmt.Sprintf("Evicting pod %s/%s through the eviction API", p.Namespace, p.Name)
	if p.Spec.NodeName != "" {
		msg = fmt.Sprintf("Evicting pod %s/%s from node %s through the eviction API", p.Namespace, p.Name, p.Spec.NodeName)
	}
	if err := events.Record(tx, p, events.Normal, ReasonEvicted, msg, evictionComponent, now); err != nil {
		return "", err
	}
	return "evicted", nil
}

// checkPodDisruptionBudgets enforces the PodDisruptionBudgets of the
// pod's namespace (disruption.Evict, Kubernetes' eviction subresource):
// a refusal is 429 TooManyRequests "Cannot evict pod as it would violate
// the pod's disruption budget." (which `reconcile drain` retries); an
// allowed eviction decrements the budget's disruptionsAllowed and records
// the pod in its disruptedPods in the eviction's own transaction, so two
// evictions at once never both spend the last disruption.
func checkPodDisruptionBudgets(tx *store.Tx, p *corev1.Pod, now time.Time) error {
	objs, err := tx.List("PodDisruptionBudget", p.Namespace)
	if err != nil {
		return err
	}
	pdbs := make([]*policyv1.PodDisruptionBudget, 0, len(objs))
	for _, o := range objs {
		pdbs = append(pdbs, o.(*policyv1.PodDisruptionBudget))
	}
	upd, err := disruption.Evict(pdbs, p, now)
	if err != nil || upd == nil {
		return err
	}
	return tx.UpdateStatus(upd)
}
