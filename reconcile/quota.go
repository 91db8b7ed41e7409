package reconcile

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// admitQuota runs Kubernetes' LimitRanger and ResourceQuota admission over
// a plan, with the LimitRanges and ResourceQuotas as the plan leaves them:
//
//   - every bare Pod the plan creates gets its namespace's LimitRange
//     defaults (the stored pod shows them; withSystemFields keeps them on
//     later commits) and is checked against their min, max and ratios;
//   - the objects the plan creates or updates are charged to the quotas of
//     their namespace, in apply order, on top of what the objects the plan
//     leaves alone use; the first that crosses a hard limit is a PlanError
//     at its file:line:col with the API server's words, so the commit is
//     refused whole.
//
// Stricter than Kubernetes, which charges only pods as they are created:
// a Deployment, ReplicaSet, StatefulSet or Job is charged its replicas
// (a Job its parallelism) × its pod template's requests and limits (after
// LimitRange defaults), and its template must pass LimitRanger and state
// the cpu and memory a quota caps. A commit whose workloads cannot all
// run within the quota is refused at the workload's line instead of being
// applied and leaving ReplicaSets with FailedCreate events nobody reads in
// git. Object counts (pods, services, count/…) are the objects that will
// exist; compute is what git declares: bare pods and workloads' replicas,
// not the pods controllers run now (their workloads stand for them).
// DaemonSets and CronJobs are charged only when their pods are created.
func admitQuota(p *Plan, desired []Desired, stored []objects.Object, m *memo) {
	rangeList, quotas := planPolicies(p, stored)
	if len(rangeList) == 0 && len(quotas) == 0 {
		return
	}
	ranges := make(map[string]quota.Limits, len(rangeList))
	for ns, rs := range rangeList {
		ranges[ns] = quota.NewLimits(rs)
	}
	defer m.sweepUsage()
	fail := func(c *Change, msg string) {
		e := PlanError{Key: c.Key, Path: c.Path, Message: msg}
		if d := desiredAt(desired, c.Key); d != nil {
			e.Line, e.Col = d.Line, d.Col
		}
		p.Errors = append(p.Errors, e)
	}
	changed := make(map[objects.Key]bool, len(p.Changes))
	for i := range p.Changes {
		c := &p.Changes[i]
		changed[c.Key] = true
		if c.Action != Create || ranges[c.Key.Namespace].Empty() || c.Key.Kind != "Pod" {
			continue
		}
		if pod, ok := c.Object.(*corev1.Pod); ok {
			if err := ranges[c.Key.Namespace].Apply(pod); err != nil {
				fail(c, quota.Forbidden(pod, err).Error()+"; change the pod's resources or the namespace's LimitRange")
			}
		}
	}
	admitTemplates(p, ranges, fail)
	if len(quotas) == 0 {
		return
	}
	tallies := make(map[string]*quota.Tally, len(quotas))
	fingerprints := make(map[string]string, len(quotas))
	for ns, qs := range quotas {
		tallies[ns] = quota.NewTally(qs)
		fingerprints[ns] = limitsFingerprint(rangeList[ns])
	}
	for _, s := range stored {
		ns := s.GetNamespace()
		t := tallies[ns]
		if t == nil || changed[keyOf(s)] {
			continue
		}
		if subject, u := m.storedUsage(s, ranges[ns], fingerprints[ns]); u != nil {
			t.Charge(subject, u)
		}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		t := tallies[c.Key.Namespace]
		if t == nil || c.Action == Delete {
			continue
		}
		subject, u := commitUsage(c.Object, ranges[c.Key.Namespace])
		if u == nil {
			continue
		}
		if c.Old != nil {
			_, old := commitUsage(c.Old, ranges[c.Key.Namespace])
			u = increase(u, old)
			t.Charge(subject, old) // the object as stored, now replaced
		}
		if err := t.Admit(subject, u); err != nil {
			if _, isPod := c.Object.(*corev1.Pod); isPod {
				fail(c, quota.Forbidden(c.Object, err).Error()+"; raise the quota's spec.hard or lower what the commit adds")
			} else if n, workload := podsAtOnce(c.Object); workload && onlyCompute(err) {
				fail(c, fmt.Sprintf("its %d replicas × the pod template would not fit the namespace's quota (reconcile checks workloads at commit time): %s; raise the quota's spec.hard, lower the replicas or the template's resources", n, err))
			} else {
				fail(c, quota.Forbidden(c.Object, err).Error()+"; raise the quota's spec.hard or remove objects")
			}
		}
	}
}

// admitTemplates refuses a workload the plan creates or updates whose
// pod template LimitRanger would refuse: every pod of it would fail.
func admitTemplates(p *Plan, ranges map[string]quota.Limits, fail func(*Change, string)) {
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action == Delete || ranges[c.Key.Namespace].Empty() || metav1.GetControllerOf(c.Object) != nil {
			continue
		}
		if pod := templatePod(c.Object); pod != nil {
			if err := ranges[c.Key.Namespace].Apply(pod); err != nil {
				fail(c, fmt.Sprintf("its pod template would be refused: %s; change the template's resources or the namespace's LimitRange", quota.Forbidden(pod, err)))
			}
		}
	}
}

// sortedKeys are m's keys in apply order.
func sortedKeys(m map[objects.Key]objects.Object) []objects.Key {
	keys := slices.Collect(maps.Keys(m))
	slices.SortFunc(keys, func(a, b objects.Key) int {
		if a.Less(b) {
			return -1
		}
		if b.Less(a) {
			return 1
		}
		return 0
	})
	return keys
}

// planPolicies are the LimitRanges and ResourceQuotas by namespace as the
// plan leaves them. Cheap when there are none: one type switch per
// stored object.
func planPolicies(p *Plan, stored []objects.Object) (map[string][]*corev1.LimitRange, map[string][]*corev1.ResourceQuota) {
	var byKey map[objects.Key]objects.Object
	note := func(k objects.Key, o objects.Object) {
		if byKey == nil {
			byKey = map[objects.Key]objects.Object{}
		}
		byKey[k] = o
	}
	for _, s := range stored {
		switch s.(type) {
		case *corev1.LimitRange, *corev1.ResourceQuota:
			note(keyOf(s), s)
		}
	}
	for _, c := range p.Changes {
		if c.Key.Kind != "LimitRange" && c.Key.Kind != "ResourceQuota" {
			continue
		}
		if c.Action == Delete {
			delete(byKey, c.Key)
		} else {
			note(c.Key, c.Object)
		}
	}
	if len(byKey) == 0 {
		return nil, nil
	}
	ranges := map[string][]*corev1.LimitRange{}
	quotas := map[string][]*corev1.ResourceQuota{}
	for _, k := range sortedKeys(byKey) {
		switch x := byKey[k].(type) {
		case *corev1.LimitRange:
			ranges[x.Namespace] = append(ranges[x.Namespace], x)
		case *corev1.ResourceQuota:
			if len(x.Spec.Hard) > 0 {
				quotas[x.Namespace] = append(quotas[x.Namespace], x)
			}
		}
	}
	return ranges, quotas
}

// commitUsage is what o uses of its namespace's quotas at commit time,
// and the object its quotas match it as: a bare pod its usage; a pod a
// controller made only its counts (its workload stands for its compute);
// a workload its count and replicas × its template's compute (the
// template after LimitRange defaults); anything else its counts.
func commitUsage(o objects.Object, ranges quota.Limits) (objects.Object, corev1.ResourceList) {
	var zero time.Time // terminating pods count until they are gone
	switch x := o.(type) {
	case *corev1.Pod:
		u := quota.Usage(x, zero)
		if metav1.GetControllerOf(x) != nil {
			for k := range u {
				if quota.IsCompute(k) {
					delete(u, k)
				}
			}
		}
		return x, u
	}
	u := quota.Usage(o, zero)
	if metav1.GetControllerOf(o) != nil {
		return o, u // a ReplicaSet of a Deployment, a Job of a CronJob: counted once, by their owner
	}
	n, ok := podsAtOnce(o)
	if !ok {
		return o, u
	}
	pod := templatePod(o)
	_ = ranges.Apply(pod) // a template LimitRanger refuses is reported by admitTemplates
	for k, v := range quota.Scale(quota.PodUsage(pod, zero), int64(n)) {
		if quota.IsCompute(k) {
			u[k] = v
		}
	}
	return pod, u
}

// podsAtOnce is how many pods a workload runs at once (a Job: its
// parallelism, at most its completions).
func podsAtOnce(o objects.Object) (int32, bool) {
	one := func(p *int32) int32 {
		if p == nil {
			return 1
		}
		return *p
	}
	switch x := o.(type) {
	case *appsv1.Deployment:
		return one(x.Spec.Replicas), true
	case *appsv1.ReplicaSet:
		return one(x.Spec.Replicas), true
	case *appsv1.StatefulSet:
		return one(x.Spec.Replicas), true
	case *batchv1.Job:
		n := one(x.Spec.Parallelism)
		if x.Spec.Completions != nil && *x.Spec.Completions < n {
			n = *x.Spec.Completions
		}
		return n, true
	}
	return 0, false
}

// templatePod is a pod as a workload's controller would make it, for
// LimitRanger and the quota: a copy of what they change (annotations are
// replaced, not changed in place; containers' resources), sharing the
// rest with the template.
func templatePod(o objects.Object) *corev1.Pod {
	var t *corev1.PodTemplateSpec
	switch x := o.(type) {
	case *appsv1.Deployment:
		t = &x.Spec.Template
	case *appsv1.ReplicaSet:
		t = &x.Spec.Template
	case *appsv1.StatefulSet:
		t = &x.Spec.Template
	case *batchv1.Job:
		t = &x.Spec.Template
	default:
		return nil
	}
	pod := &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: t.ObjectMeta, Spec: t.Spec}
	pod.Name, pod.Namespace = o.GetName(), o.GetNamespace()
	pod.Spec.Containers = copyResources(t.Spec.Containers)
	pod.Spec.InitContainers = copyResources(t.Spec.InitContainers)
	return pod
}

// copyResources is cs with their resources copied (the rest shared).
func copyResources(cs []corev1.Container) []corev1.Container {
	if cs == nil {
		return nil
	}
	out := slices.Clone(cs)
	for i := range out {
		out[i].Resources = *cs[i].Resources.DeepCopy()
	}
	return out
}

// increase is the part of u above old (what an update adds).
func increase(u, old corev1.ResourceList) corev1.ResourceList {
	out := corev1.ResourceList{}
	for k, v := range u {
		d := v.DeepCopy()
		if o, ok := old[k]; ok {
			d.Sub(o)
		}
		if d.Sign() > 0 {
			out[k] = d
		}
	}
	return out
}

// onlyCompute reports whether a quota refused only compute (not a count).
func onlyCompute(err error) bool {
	var ex *quota.ExceededError
	return !errors.As(err, &ex) || ex.OnlyCompute()
}
