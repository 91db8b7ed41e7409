package controllers

import (
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/scheduler/priority"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Admission is the runner's one admission chain for the pods the steps
// create, in order: Priority (scheduler/priority: spec.priority from the
// class), LimitRanger (the namespace's LimitRange defaults, then its min,
// max and ratios) and ResourceQuota (the namespace's quotas over the pods
// it has plus those admitted before in the same pass). Each link may
// change the pod (the stored pod shows what they set) or refuse it with
// the API server's error. One Admission serves one pass of one entry: the
// quota tallies it keeps per namespace charge every pod it admits, so two
// ReplicaSets of a namespace cannot both take its last room.
type Admission struct {
	classes priority.Classes
	ranges  map[string]quota.Limits
	quotas  map[string][]*corev1.ResourceQuota
	// existing lists a namespace's pods (the quota's used), read once
	// per namespace the first time a pod of it needs the quota.
	existing func(namespace string) []*corev1.Pod
	tallies  map[string]*quota.Tally
	now      time.Time
}

// NewAdmission is the chain over classes, the LimitRanges and the
// ResourceQuotas of every namespace, and the pods that exist (by
// namespace).
func NewAdmission(classes priority.Classes, ranges []*corev1.LimitRange, quotas []*corev1.ResourceQuota, existing func(namespace string) []*corev1.Pod, now time.Time) *Admission {
	a := &Admission{classes: classes, existing: existing, now: now, tallies: map[string]*quota.Tally{},
		ranges: map[string]quota.Limits{}, quotas: map[string][]*corev1.ResourceQuota{}}
	byNS := map[string][]*corev1.LimitRange{}
	for _, lr := range ranges {
		byNS[lr.Namespace] = append(byNS[lr.Namespace], lr)
	}
	for ns, rs := range byNS {
		sortByName(rs) // Kubernetes lists them by name
		a.ranges[ns] = quota.NewLimits(rs)
	}
	for _, q := range quotas {
		if len(q.Spec.Hard) > 0 {
			a.quotas[q.Namespace] = append(a.quotas[q.Namespace], q)
		}
	}
	return a
}

// Admit runs the chain on pod (changing it); the error is the API
// server's refusal (`pods "x" is forbidden: …`).
func (a *Admission) Admit(pod *corev1.Pod) error {
	if err := a.classes.Admit(pod); err != nil {
		return err
	}
	if l := a.ranges[pod.Namespace]; !l.Empty() {
		if err := l.Apply(pod); err != nil {
			return quota.Forbidden(pod, err)
		}
	}
	t := a.tally(pod.Namespace)
	if t.Empty() {
		return nil
	}
	if err := t.Admit(pod, quota.PodUsage(pod, a.now)); err != nil {
		return quota.Forbidden(pod, err)
	}
	return nil
}

// tally is the namespace's quotas charged with the pods it has.
func (a *Admission) tally(ns string) *quota.Tally {
	if t, ok := a.tallies[ns]; ok {
		return t
	}
	var t *quota.Tally
	if qs := a.quotas[ns]; len(qs) > 0 {
		t = quota.NewTally(qs)
		if a.existing != nil {
			for _, p := range a.existing(ns) {
				t.Charge(p, quota.PodUsage(p, a.now))
			}
		}
	}
	a.tallies[ns] = t
	return t
}

// admission is the chain over the cache.
func (c *cache) admission(now time.Time) *Admission {
	return NewAdmission(c.priorityClasses(), typed[*corev1.LimitRange](c.byKind["LimitRange"]),
		typed[*corev1.ResourceQuota](c.byKind["ResourceQuota"]), c.podsOf, now)
}

// podsOf lists the cached pods of a namespace.
func (c *cache) podsOf(ns string) []*corev1.Pod {
	var out []*corev1.Pod
	for k, o := range c.byKind["Pod"] {
		if k.Namespace == ns {
			out = append(out, o.(*corev1.Pod))
		}
	}
	return out
}

func sortByName[T objects.Object](list []T) {
	for i := 1; i < len(list); i++ {
		for j := i; j > 0 && list[j].GetName() < list[j-1].GetName(); j-- {
			list[j], list[j-1] = list[j-1], list[j]
		}
	}
}

// admissionReads are the kinds the admission chain reads: the entries
// whose steps create pods list them.
var admissionReads = []string{"PriorityClass", "LimitRange", "ResourceQuota"}
