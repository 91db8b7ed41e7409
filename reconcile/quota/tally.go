package quota

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Tally is one namespace's quotas with the amounts their objects use, to
// admit new objects one after another (each admitted one is charged, so
// the next sees it).
type Tally struct {
	quotas []*corev1.ResourceQuota // by name
	used   []corev1.ResourceList   // per quota, its hard resources only
}

// NewTally starts a tally of quotas (of one namespace) with nothing used.
func NewTally(quotas []*corev1.ResourceQuota) *Tally {
	qs := slices.Clone(quotas)
	slices.SortFunc(qs, func(a, b *corev1.ResourceQuota) int { return strings.Compare(a.Name, b.Name) })
	t := &Tally{quotas: qs, used: make([]corev1.ResourceList, len(qs))}
	for i, q := range qs {
		t.used[i] = zeroOf(q.Spec.Hard)
	}
	return t
}

func zeroOf(hard corev1.ResourceList) corev1.ResourceList {
	u := make(corev1.ResourceList, len(hard))
	for k := range hard {
		u[k] = resource.Quantity{Format: hard[k].Format}
	}
	return u
}

// Empty reports whether no quota caps anything.
func (t *Tally) Empty() bool { return t == nil || len(t.quotas) == 0 }

// Charge adds what o (matched as subject) uses to every quota matching
// subject, without checking: objects that exist already.
func (t *Tally) Charge(subject objects.Object, u corev1.ResourceList) {
	if t.Empty() {
		return
	}
	for i, q := range t.quotas {
		if Matches(q, subject) {
			addMasked(t.used[i], u, q.Spec.Hard)
		}
	}
}

// Uncharge takes back what Charge added (an object a commit replaces).
func (t *Tally) Uncharge(subject objects.Object, u corev1.ResourceList) {
	if t.Empty() {
		return
	}
	for i, q := range t.quotas {
		if Matches(q, subject) {
			for k, v := range u {
				if cur, ok := t.used[i][k]; ok {
					cur.Sub(v)
					t.used[i][k] = cur
				}
			}
		}
	}
}

func addMasked(used, u, hard corev1.ResourceList) {
	for k, v := range u {
		if _, capped := hard[k]; capped {
			cur := used[k]
			cur.Add(v)
			used[k] = cur
		}
	}
}

// Admit is Kubernetes' ResourceQuota admission of an object whose usage
// is u, matched against the quotas as subject (the object itself, or for
// a workload the pod its template makes): first every matching quota
// that caps cpu or memory needs the pod's containers to state them
// ("must specify …"), then the usage after it must stay within each
// matching quota's hard limits for every resource it adds to. Admitted,
// it is charged. The error is the API server's message without the
// `pods "x" is forbidden: ` prefix (Forbidden adds it).
func (t *Tally) Admit(subject objects.Object, u corev1.ResourceList) error {
	if t.Empty() {
		return nil
	}
	var matching []int
	for i, q := range t.quotas {
		if Matches(q, subject) {
			matching = append(matching, i)
		}
	}
	if pod, ok := subject.(*corev1.Pod); ok {
		for _, i := range matching {
			if msg := missingRequired(pod, t.quotas[i].Spec.Hard); msg != "" {
				return fmt.Errorf("failed quota: %s: %s", t.quotas[i].Name, msg)
			}
		}
	}
	for _, i := range matching {
		q := t.quotas[i]
		var exceeded []corev1.ResourceName
		for k, v := range u {
			hard, capped := q.Spec.Hard[k]
			if !capped || v.Sign() <= 0 {
				continue
			}
			next := t.used[i][k].DeepCopy()
			next.Add(v)
			if next.Cmp(hard) > 0 {
				exceeded = append(exceeded, k)
			}
		}
		if len(exceeded) > 0 {
			slices.Sort(exceeded)
			return &ExceededError{Quota: q.Name, Resources: exceeded, msg: fmt.Sprintf("exceeded quota: %s, requested: %s, used: %s, limited: %s",
				q.Name, pretty(u, exceeded), pretty(t.used[i], exceeded), pretty(q.Spec.Hard, exceeded))}
		}
	}
	for _, i := range matching {
		addMasked(t.used[i], u, t.quotas[i].Spec.Hard)
	}
	return nil
}

// ExceededError is Admit's refusal of an object that would take a quota
// over its hard limits.
type ExceededError struct {
	Quota     string
	Resources []corev1.ResourceName // the resources over the limit
	msg       string
}

func (e *ExceededError) Error() string { return e.msg }

// OnlyCompute reports whether every resource over the limit is a compute
// resource (not an object count).
func (e *ExceededError) OnlyCompute() bool {
	for _, r := range e.Resources {
		if !IsCompute(r) {
			return false
		}
	}
	return true
}

// pretty is Kubernetes' prettyPrint of the names of l: "a=1,b=2".
func pretty(l corev1.ResourceList, names []corev1.ResourceName) string {
	parts := make([]string, 0, len(names))
	for _, n := range names {
		v := l[n]
		parts = append(parts, fmt.Sprintf("%s=%s", n, v.String()))
	}
	return strings.Join(parts, ",")
}

// validationSet are the resources whose quota requires every container to
// state them (Kubernetes' backward-compatible constraint).
var validationSet = []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory,
	corev1.ResourceRequestsCPU, corev1.ResourceRequestsMemory, corev1.ResourceLimitsCPU, corev1.ResourceLimitsMemory}

// missingRequired is Kubernetes' podEvaluator.Constraints: the names of
// hard among the validation set that a container of pod leaves unset,
// "must specify limits.cpu for: app; requests.cpu for: app,sidecar".
func missingRequired(pod *corev1.Pod, hard corev1.ResourceList) string {
	var required []corev1.ResourceName
	for _, n := range validationSet {
		if _, ok := hard[n]; ok {
			required = append(required, n)
		}
	}
	if len(required) == 0 {
		return ""
	}
	missing := map[corev1.ResourceName][]string{}
	for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
		for i := range cs {
			c := &cs[i]
			for _, n := range required {
				if !containerStates(c, n) {
					missing[n] = append(missing[n], c.Name)
				}
			}
		}
	}
	if len(missing) == 0 {
		return ""
	}
	var segs []string
	for _, n := range slices.Sorted(maps.Keys(missing)) {
		names := missing[n]
		slices.Sort(names)
		segs = append(segs, fmt.Sprintf("%s for: %s", n, strings.Join(slices.Compact(names), ",")))
	}
	return "must specify " + strings.Join(segs, "; ")
}

// containerStates reports whether c's requests (cpu, memory,
// requests.*) or limits (limits.*) name the resource n.
func containerStates(c *corev1.Container, n corev1.ResourceName) bool {
	s := string(n)
	if r, ok := strings.CutPrefix(s, "limits."); ok {
		_, set := c.Resources.Limits[corev1.ResourceName(r)]
		return set
	}
	_, set := c.Resources.Requests[corev1.ResourceName(strings.TrimPrefix(s, "requests."))]
	return set
}

// Used is status.used of q over the objects of its namespace (Kubernetes'
// quota controller): the sum of what each matching object uses, for each
// hard resource.
func Used(q *corev1.ResourceQuota, objs []objects.Object, now time.Time) corev1.ResourceList {
	used := zeroOf(q.Spec.Hard)
	for _, o := range objs {
		if Matches(q, o) {
			addMasked(used, Usage(o, now), q.Spec.Hard)
		}
	}
	return used
}

// Forbidden is the API server's refusal of o: `pods "x" is forbidden: …`.
func Forbidden(o objects.Object, err error) error {
	plural := "objects"
	if info, ok := objects.Info(kindOf(o)); ok {
		plural = info.Plural
		if group, _, grouped := strings.Cut(info.APIVersion, "/"); grouped {
			plural += "." + group // deployments.apps, as the API server names the resource
		}
	}
	return fmt.Errorf("%s %q is forbidden: %w", plural, o.GetName(), err)
}

func kindOf(o objects.Object) string {
	if k := objects.KindOf(o); k != "" {
		return k
	}
	return kindOfType(o)
}

// Scale is u times n (a workload's replicas).
func Scale(u corev1.ResourceList, n int64) corev1.ResourceList {
	out := make(corev1.ResourceList, len(u))
	for k, v := range u {
		if k == corev1.ResourceCPU || strings.HasSuffix(string(k), ".cpu") {
			out[k] = *resource.NewMilliQuantity(v.MilliValue()*n, v.Format)
			continue
		}
		out[k] = *resource.NewQuantity(v.Value()*n, v.Format)
	}
	return out
}
