package controllers

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/rand"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// controllerRef returns the ownerReference that makes owner the controller
// of a dependent: controller and blockOwnerDeletion true, as Kubernetes
// controllers set it.
func controllerRef(owner objects.Object, kind string) metav1.OwnerReference {
	info, _ := objects.Info(kind)
	yes := true
	return metav1.OwnerReference{
		APIVersion: info.APIVersion, Kind: kind, Name: owner.GetName(), UID: owner.GetUID(),
		Controller: &yes, BlockOwnerDeletion: &yes,
	}
}

// ownedBy reports whether o's controller reference points at owner's uid.
func ownedBy(o, owner metav1.Object) bool {
	ref := metav1.GetControllerOfNoCopy(o)
	return ref != nil && ref.UID == owner.GetUID()
}

// hasController reports whether any controller owns o.
func hasController(o metav1.Object) bool { return metav1.GetControllerOfNoCopy(o) != nil }

// selectorFor parses a workload's selector and checks that it selects the
// workload's own pod template: a selector that does not match the template
// would make the controller create pods it cannot see and create them
// again forever. The error is written into the workload's status.
func selectorFor(kind string, sel *metav1.LabelSelector, template map[string]string) (labels.Selector, error) {
	if sel == nil || (len(sel.MatchLabels) == 0 && len(sel.MatchExpressions) == 0) {
		return nil, fmt.Errorf("%s spec.selector is empty: set spec.selector.matchLabels to labels of spec.template.metadata.labels", kind)
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		return nil, fmt.Errorf("%s spec.selector is invalid: %v", kind, err)
	}
	if !s.Matches(labels.Set(template)) {
		return nil, fmt.Errorf("%s spec.selector (%s) does not match spec.template.metadata.labels (%s): the controller manages only pods its selector matches; make the template labels include every selector label",
			kind, s.String(), labels.Set(template).String())
	}
	return s, nil
}

// PodTemplateHash is the value of the pod-template-hash label: FNV-32a of
// the template's JSON (plus the collision count, if any), rendered with
// Kubernetes' safe encoding (no vowels, so no words; at most 10 chars).
// It is stable across processes: the same template always gives the same
// hash, so a restarted controller finds its ReplicaSets again.
func PodTemplateHash(t *corev1.PodTemplateSpec, collisionCount *int32) string {
	h := fnv.New32a()
	b, err := json.Marshal(t)
	if err != nil {
		// A PodTemplateSpec always marshals; keep the hash defined anyway.
		b = []byte(fmt.Sprintf("%#v", t))
	}
	h.Write(b)
	if collisionCount != nil {
		fmt.Fprintf(h, "/%d", *collisionCount)
	}
	return rand.SafeEncodeString(fmt.Sprint(h.Sum32()))
}

func copyLabels(m map[string]string, extra ...string) map[string]string {
	out := make(map[string]string, len(m)+len(extra)/2)
	maps.Copy(out, m)
	for i := 0; i+1 < len(extra); i += 2 {
		out[extra[i]] = extra[i+1]
	}
	return out
}

func sortObjects(os []objects.Object) {
	slices.SortFunc(os, func(a, b objects.Object) int {
		ka, kb := objects.KeyOf(a), objects.KeyOf(b)
		switch {
		case ka.Less(kb):
			return -1
		case kb.Less(ka):
			return 1
		}
		return 0
	})
}
