package quota

import (
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Problem is a field of a ResourceQuota or LimitRange that Kubernetes'
// validation refuses, or that names something reconcile does not have.
type Problem struct {
	Path    []string // under the object, e.g. spec, hard, pods
	Message string
}

// scopeConflicts are the scope pairs Kubernetes refuses together.
var scopeConflicts = map[corev1.ResourceQuotaScope]corev1.ResourceQuotaScope{
	corev1.ResourceQuotaScopeTerminating:    corev1.ResourceQuotaScopeNotTerminating,
	corev1.ResourceQuotaScopeNotTerminating: corev1.ResourceQuotaScopeTerminating,
	corev1.ResourceQuotaScopeBestEffort:     corev1.ResourceQuotaScopeNotBestEffort,
	corev1.ResourceQuotaScopeNotBestEffort:  corev1.ResourceQuotaScopeBestEffort,
}

// ValidateQuota is Kubernetes' ValidateResourceQuota for what reconcile
// has: resource names it can count, scopes and selectors it can match.
func ValidateQuota(q *corev1.ResourceQuota) []Problem {
	var out []Problem
	for _, name := range sortedNames(q.Spec.Hard) {
		if msg := CheckResourceName(name); msg != "" {
			out = append(out, Problem{[]string{"spec", "hard", string(name)}, msg})
		}
	}
	seen := map[corev1.ResourceQuotaScope]bool{}
	check := func(s corev1.ResourceQuotaScope, path []string) {
		switch s {
		case corev1.ResourceQuotaScopeCrossNamespacePodAffinity:
			out = append(out, Problem{path, "the CrossNamespacePodAffinity scope is not supported: reconcile does not limit pod affinity across namespaces by quota; remove it"})
			return
		case "VolumeAttributesClass":
			out = append(out, Problem{path, "the VolumeAttributesClass scope needs PersistentVolumeClaims, which reconcile does not have; remove it"})
			return
		}
		if other := scopeConflicts[s]; seen[other] {
			out = append(out, Problem{path, fmt.Sprintf("conflicting scopes: %s and %s may not both be set", other, s)})
		}
		seen[s] = true
		var bad []string
		for _, name := range sortedNames(q.Spec.Hard) {
			if CheckResourceName(name) != "" {
				continue // refused at its own name
			}
			if (s == corev1.ResourceQuotaScopeBestEffort && name != Pods && name != "count/pods") || !podResource(name) {
				bad = append(bad, string(name))
			}
		}
		if len(bad) > 0 {
			what := "pods and their cpu, memory and ephemeral-storage"
			if s == corev1.ResourceQuotaScopeBestEffort {
				what = "pods"
			}
			out = append(out, Problem{path, fmt.Sprintf("unsupported scope applied to resource %s: a quota with scope %s may only cap %s (scopes select pods)", strings.Join(bad, ", "), s, what)})
		}
	}
	for i, s := range q.Spec.Scopes {
		check(s, []string{"spec", "scopes", fmt.Sprint(i)})
	}
	if q.Spec.ScopeSelector != nil {
		for i, r := range q.Spec.ScopeSelector.MatchExpressions {
			path := []string{"spec", "scopeSelector", "matchExpressions", fmt.Sprint(i)}
			check(r.ScopeName, append(path, "scopeName"))
			switch {
			case r.ScopeName != corev1.ResourceQuotaScopePriorityClass && r.Operator != corev1.ScopeSelectorOpExists:
				out = append(out, Problem{append(path, "operator"), fmt.Sprintf("must be 'Exists' when scope is any of ResourceQuotaScopeTerminating, ResourceQuotaScopeNotTerminating, ResourceQuotaScopeBestEffort or ResourceQuotaScopeNotBestEffort (scope %s)", r.ScopeName)})
			case (r.Operator == corev1.ScopeSelectorOpIn || r.Operator == corev1.ScopeSelectorOpNotIn) && len(r.Values) == 0:
				out = append(out, Problem{append(path, "values"), "must be at least one value when `operator` is 'In' or 'NotIn' for scope selector"})
			case (r.Operator == corev1.ScopeSelectorOpExists || r.Operator == corev1.ScopeSelectorOpDoesNotExist) && len(r.Values) > 0:
				out = append(out, Problem{append(path, "values"), "must be no value when `operator` is 'Exist' or 'DoesNotExist' for scope selector"})
			}
		}
	}
	return out
}

// ValidateLimitRange is Kubernetes' ValidateLimitRange (with the item
// defaults of EffectiveItem) for the types reconcile has.
func ValidateLimitRange(lr *corev1.LimitRange) []Problem {
	var out []Problem
	types := map[corev1.LimitType]bool{}
	for i, raw := range lr.Spec.Limits {
		path := func(s ...string) []string { return append([]string{"spec", "limits", fmt.Sprint(i)}, s...) }
		switch raw.Type {
		case "":
			out = append(out, Problem{path("type"), "type is required: Container (each container) or Pod (the sum of a pod's containers), as the Kubernetes API server requires"})
			continue
		case corev1.LimitTypePersistentVolumeClaim:
			out = append(out, Problem{path("type"), "type PersistentVolumeClaim is not supported: reconcile has no PersistentVolumeClaim kind; use Container or Pod"})
			continue
		}
		if types[raw.Type] {
			out = append(out, Problem{path("type"), fmt.Sprintf("duplicate value %q: one item per type", raw.Type)})
		}
		types[raw.Type] = true
		if raw.Type == corev1.LimitTypePod {
			if len(raw.Default) > 0 {
				out = append(out, Problem{path("default"), "may not be specified when `type` is 'Pod'"})
			}
			if len(raw.DefaultRequest) > 0 {
				out = append(out, Problem{path("defaultRequest"), "may not be specified when `type` is 'Pod'"})
			}
		}
		it := EffectiveItem(raw)
		for _, k := range sortedNames(it.Min) {
			mn := it.Min[k]
			if mx, ok := it.Max[k]; ok && mn.Cmp(mx) > 0 {
				out = append(out, Problem{path("min", string(k)), fmt.Sprintf("min value %s is greater than max value %s", mn.String(), mx.String())})
			}
			if dr, ok := it.DefaultRequest[k]; ok && mn.Cmp(dr) > 0 {
				out = append(out, Problem{path("defaultRequest", string(k)), fmt.Sprintf("min value %s is greater than default request value %s", mn.String(), dr.String())})
			}
			if d, ok := it.Default[k]; ok && mn.Cmp(d) > 0 {
				out = append(out, Problem{path("default", string(k)), fmt.Sprintf("min value %s is greater than default value %s", mn.String(), d.String())})
			}
		}
		for _, k := range sortedNames(it.Max) {
			mx := it.Max[k]
			if dr, ok := it.DefaultRequest[k]; ok && dr.Cmp(mx) > 0 {
				out = append(out, Problem{path("defaultRequest", string(k)), fmt.Sprintf("default request value %s is greater than max value %s", dr.String(), mx.String())})
			}
			if d, ok := it.Default[k]; ok && d.Cmp(mx) > 0 {
				out = append(out, Problem{path("default", string(k)), fmt.Sprintf("default value %s is greater than max value %s", d.String(), mx.String())})
			}
		}
		for _, k := range sortedNames(it.DefaultRequest) {
			dr := it.DefaultRequest[k]
			if d, ok := it.Default[k]; ok && dr.Cmp(d) > 0 {
				out = append(out, Problem{path("defaultRequest", string(k)), fmt.Sprintf("default request value %s is greater than default limit value %s", dr.String(), d.String())})
			}
		}
		for _, k := range sortedNames(it.MaxLimitRequestRatio) {
			r := it.MaxLimitRequestRatio[k]
			if r.Cmp(*resource1()) < 0 {
				out = append(out, Problem{path("maxLimitRequestRatio", string(k)), fmt.Sprintf("ratio %s is less than 1", r.String())})
			}
		}
	}
	return out
}
