package store

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// DefaultTerminationGracePeriod is Kubernetes' default
// terminationGracePeriodSeconds: how long a pod's containers get between
// SIGTERM and SIGKILL.
const DefaultTerminationGracePeriod int64 = 30

// DeletePodGracefully deletes a pod the way the Kubernetes API server does.
// A pod that runs on a node (spec.nodeName set) and is not finished is not
// removed: it is marked terminating, with metadata.deletionTimestamp = now
// and metadata.deletionGracePeriodSeconds = its
// terminationGracePeriodSeconds (default 30). Its node's agent then stops
// the containers (SIGTERM, SIGKILL after the grace period counted from the
// deletionTimestamp) and removes the pod for good (the API's finalize
// call). A pod that was never bound, or whose phase is Succeeded or
// Failed, has no containers to stop and is removed at once. Deleting a pod
// that is already terminating changes nothing, so the deadline never
// moves. ErrNotFound when there is no such pod.
func (tx *Tx) DeletePodGracefully(key objects.Key, now time.Time) error {
	o, err := tx.Get(key)
	if err != nil {
		return err
	}
	p, ok := o.(*corev1.Pod)
	if !ok || !needsGrace(p) {
		return tx.Delete(key)
	}
	if p.DeletionTimestamp != nil {
		return nil
	}
	grace := DefaultTerminationGracePeriod
	if p.Spec.TerminationGracePeriodSeconds != nil {
		grace = max(*p.Spec.TerminationGracePeriodSeconds, 0)
	}
	if grace == 0 {
		// Kubernetes treats a zero grace period as "delete now"; the
		// agent removes the containers of a pod that left the store.
		return tx.Delete(key)
	}
	ts := metav1.NewTime(now.UTC().Truncate(time.Second))
	p.DeletionTimestamp = &ts
	p.DeletionGracePeriodSeconds = &grace
	return tx.Update(p)
}

// DeleteGracefully deletes any object: pods through DeletePodGracefully,
// every other kind at once.
func (tx *Tx) DeleteGracefully(key objects.Key, now time.Time) error {
	if key.Kind == "Pod" {
		return tx.DeletePodGracefully(key, now)
	}
	return tx.Delete(key)
}

// needsGrace reports whether a pod may have running containers that must
// be stopped before it goes.
func needsGrace(p *corev1.Pod) bool {
	return p.Spec.NodeName != "" && p.Status.Phase != corev1.PodSucceeded && p.Status.Phase != corev1.PodFailed
}

// PodTerminating reports whether a pod has been deleted gracefully and is
// waiting for its node to stop it. Controllers do not count such pods as
// active replicas (Kubernetes' FilterActivePods), so a replacement is
// created at once.
func PodTerminating(p *corev1.Pod) bool { return p.DeletionTimestamp != nil }
