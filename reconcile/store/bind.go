package store

import (
	"errors"
	"fmt"
	"strconv"

	badger "github.com/dgraph-io/badger/v4"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// BindPod is Kubernetes' pods/binding subresource: it sets spec.nodeName
// of the pod under key to node, and its status.conditions to what
// conditions returns for the stored pod (a new slice: the stored one is
// shared and read-only), in one write, as UpdateWithStatus of a re-read
// pod would, but without deep-copying and comparing the whole pod twice:
// the scheduler writes 150,000 of them (BENCHMARKS.md, issue 13:
// scheduling, round 3). A pod that is gone, is another pod (uid) or
// already has a node is left alone: BindPod returns nil and no error. It
// returns the pod as written (shared with the watch event: read-only).
func (tx *Tx) BindPod(key objects.Key, uid types.UID, node string, conditions func(stored *corev1.Pod) []corev1.PodCondition) (*corev1.Pod, error) {
	item, err := tx.txn.Get(objectKey(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	o, err := tx.st.cache.object(item, key.Kind, tx.written, true)
	if err != nil {
		return nil, err
	}
	old, ok := o.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("bind %s: not a pod", key)
	}
	if old.UID != uid || old.Spec.NodeName != "" {
		return nil, nil
	}
	next := *old // the fields below are replaced, never written through
	next.Spec.NodeName = node
	next.Status.Conditions = conditions(old)
	next.Status.NominatedNodeName = ""   // bound: the nomination is done, as Kubernetes clears it
	next.Generation = old.Generation + 1 // spec.nodeName is spec
	rv := tx.nextRV()
	next.ResourceVersion = strconv.FormatUint(rv, 10)
	// The watch history keeps next itself: built here, written through
	// by nobody (the caller only reads it), its shared parts the stored
	// pod's, which are read-only too.
	if err := tx.writeAs(key, &next, Modified, rv, &next); err != nil {
		return nil, err
	}
	return &next, nil
}
