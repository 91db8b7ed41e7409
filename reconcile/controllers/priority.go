package controllers

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/events"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/scheduler/priority"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ReasonFailedCreate is the Warning event a workload controller records
// when a pod it makes is refused, as Kubernetes' controllers name it.
const ReasonFailedCreate = "FailedCreate"

// admitRetry is how soon a controller whose pods were refused tries again
// (Kubernetes requeues with backoff; a PriorityClass added to git
// meanwhile lets the next attempt through).
const admitRetry = 10 * time.Second

// priorityClasses are the cached PriorityClasses with the built-ins.
func (c *cache) priorityClasses() priority.Classes {
	return priority.NewClasses(typed[*schedulingv1.PriorityClass](c.byKind["PriorityClass"]))
}

// AdmitCreatedPods runs the admission chain (admission.go: Priority,
// LimitRanger, ResourceQuota) on the pods a workload step creates from
// its template. A pod the chain refuses is not created: the API server
// would refuse it, so the owner gets the Warning event FailedCreate with
// the API server's words (`Error creating: pods "web-x" is forbidden: no
// PriorityClass with name gold was found`, `… exceeded quota: …`) instead
// of its SuccessfulCreate, and the step runs again after admitRetry. Pure
// over its inputs.
func AdmitCreatedPods(adm *Admission, owner objects.Object, ch Changes, component string, now time.Time) Changes {
	var refused map[string]bool
	var firstErr error
	kept := ch.Create[:0:0]
	for _, o := range ch.Create {
		pod, ok := o.(*corev1.Pod)
		if !ok {
			kept = append(kept, o)
			continue
		}
		if err := adm.Admit(pod); err != nil {
			if refused == nil {
				refused = map[string]bool{}
			}
			refused[pod.Name] = true
			if firstErr == nil {
				firstErr = err
			}
			if owner != nil {
				ch.Event(owner, component, events.Warning, ReasonFailedCreate, failedCreateMessage(owner, pod, err), now)
			}
			continue
		}
		kept = append(kept, o)
	}
	if refused == nil {
		return ch
	}
	ch.Create = kept
	// The step's own SuccessfulCreate events name the pods it meant to
	// create; those that were refused were not.
	ch.Events = slices.DeleteFunc(slices.Clone(ch.Events), func(e Event) bool {
		return e.Reason == "SuccessfulCreate" && refused[createdPodName(e.Message)]
	})
	if rs, ok := owner.(*appsv1.ReplicaSet); ok {
		ch.UpdateStatus = replicaFailure(slices.Clone(ch.UpdateStatus), rs, len(refused), firstErr, now)
	}
	ch.requeueAfter(admitRetry)
	return ch
}

// replicaFailure is Kubernetes' ReplicaFailure condition (reason
// FailedCreate, the API server's error) on a ReplicaSet some of whose pods
// were refused, in the step's status update (whose counts included them)
// or a new one. The step removes the condition whenever it runs; a
// condition already stored with the same reason is kept as it is (as
// Kubernetes' SetCondition does), and a status equal to the stored one is
// not written, so a refused ReplicaSet does not rewrite its status at
// every attempt.
func replicaFailure(updates []objects.Object, rs *appsv1.ReplicaSet, refused int, err error, now time.Time) []objects.Object {
	var st *appsv1.ReplicaSet
	at := -1
	for i, o := range updates {
		if u, ok := o.(*appsv1.ReplicaSet); ok && u.Namespace == rs.Namespace && u.Name == rs.Name {
			st, at = u.DeepCopy(), i
			st.Status.Replicas = max(st.Status.Replicas-int32(refused), 0)
			st.Status.FullyLabeledReplicas = max(st.Status.FullyLabeledReplicas-int32(refused), 0)
		}
	}
	if st == nil {
		st = rs.DeepCopy()
		objects.SetTypeMeta(st, "ReplicaSet")
	}
	cond := appsv1.ReplicaSetCondition{Type: appsv1.ReplicaSetReplicaFailure, Status: corev1.ConditionTrue, Reason: ReasonFailedCreate, Message: err.Error()}
	for _, c := range rs.Status.Conditions {
		if c.Type == cond.Type && c.Status == cond.Status && c.Reason == cond.Reason {
			cond = c
		}
	}
	if cond.LastTransitionTime.IsZero() {
		cond.LastTransitionTime = metav1.NewTime(now)
	}
	st.Status.Conditions = append(removeReplicaSetCondition(st.Status.Conditions, cond.Type), cond)
	same := equality.Semantic.DeepEqual(st.Status, rs.Status)
	switch {
	case at >= 0 && same:
		return slices.Delete(updates, at, at+1)
	case at >= 0:
		updates[at] = st
	case !same:
		updates = append(updates, st)
	}
	return updates
}

// failedCreateMessage words the refusal as the owner's Kubernetes
// controller does.
func failedCreateMessage(owner objects.Object, pod *corev1.Pod, err error) string {
	if _, ok := owner.(*appsv1.StatefulSet); ok {
		return fmt.Sprintf("create Pod %s in StatefulSet %s failed error: %s", pod.Name, owner.GetName(), err)
	}
	return "Error creating: " + err.Error()
}

// createdPodName is the pod a SuccessfulCreate message names: "Created
// pod: NAME" or "create Pod NAME in StatefulSet …".
func createdPodName(msg string) string {
	if name, ok := strings.CutPrefix(msg, "Created pod: "); ok {
		return name
	}
	if rest, ok := strings.CutPrefix(msg, "create Pod "); ok {
		name, _, _ := strings.Cut(rest, " ")
		return name
	}
	return ""
}

// EnsureSystemPriorityClasses creates the built-in PriorityClasses
// (system-cluster-critical, system-node-critical) when the store lacks
// them, as Kubernetes' API server does at start, so `reconcile get
// priorityclasses` lists them. They carry no source annotation, so no git
// source prunes them; admission knows them even before they are stored.
func EnsureSystemPriorityClasses(st *store.Store) error {
	return st.Update(func(tx *store.Tx) error {
		for _, pc := range priority.SystemClasses() {
			_, err := tx.Get(objects.KeyOf(pc))
			if err == nil {
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return err
			}
			if err := tx.Create(pc); err != nil {
				return err
			}
		}
		return nil
	})
}
