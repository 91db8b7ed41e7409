package reconcile

import (
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// usageEntry is a stored object's commit usage (commitUsage), valid while
// the object keeps its resourceVersion and its namespace its LimitRanges.
type usageEntry struct {
	rv      string
	limits  string // limitsFingerprint the usage was computed with
	subject objects.Object
	usage   corev1.ResourceList // read only: tallies never change it
	round   uint64
}

// storedUsage is commitUsage of a stored object, remembered between plans
// of one source: a commit to a namespace with a quota charges every object
// of it, and most of them are the very stored objects of the last plan
// (the store's shared, immutable objects). Sound for the reasons the
// verdicts are: a committed write has a new resourceVersion; limits is
// empty when the namespace's LimitRanges are the commit's own (not yet
// stored), and then nothing is remembered.
func (m *memo) storedUsage(s objects.Object, l quota.Limits, limits string) (objects.Object, corev1.ResourceList) {
	rv := s.GetResourceVersion()
	if m == nil || rv == "" || limits == "" {
		return commitUsage(s, l)
	}
	if m.usage == nil {
		m.usage = map[objects.Object]*usageEntry{}
	}
	if e, ok := m.usage[s]; ok && e.rv == rv && e.limits == limits {
		e.round = m.round
		return e.subject, e.usage
	}
	subject, u := commitUsage(s, l)
	m.usage[s] = &usageEntry{rv: rv, limits: limits, subject: subject, usage: u, round: m.round}
	return subject, u
}

// sweepUsage drops what this plan did not use.
func (m *memo) sweepUsage() {
	if m == nil {
		return
	}
	for k, e := range m.usage {
		if e.round != m.round {
			delete(m.usage, k)
		}
	}
}

// limitsFingerprint names a namespace's LimitRanges by name and
// resourceVersion ("-" when it has none); empty when one is not stored
// as is (the plan creates or changes it).
func limitsFingerprint(ranges []*corev1.LimitRange) string {
	if len(ranges) == 0 {
		return "-"
	}
	var b strings.Builder
	for _, lr := range ranges {
		if lr.ResourceVersion == "" {
			return ""
		}
		b.WriteString(lr.Name)
		b.WriteByte('@')
		b.WriteString(lr.ResourceVersion)
		b.WriteByte(',')
	}
	return b.String()
}
