package main

import (
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
)

// describeQuota is kubectl's describe of a ResourceQuota: its scopes and
// the Resource / Used / Hard table (status.hard, as the controller wrote
// it, else spec.hard).
func describeQuota(d *describer, q *corev1.ResourceQuota) {
	if len(q.Spec.Scopes) > 0 {
		var s []string
		for _, sc := range q.Spec.Scopes {
			s = append(s, string(sc))
		}
		d.field(0, "Scopes", "%s", strings.Join(s, ", "))
	}
	if q.Spec.ScopeSelector != nil {
		for _, r := range q.Spec.ScopeSelector.MatchExpressions {
			d.field(0, "Scope Selector", "%s %s %s", r.ScopeName, r.Operator, strings.Join(r.Values, ","))
		}
	}
	hard := q.Status.Hard
	if len(hard) == 0 {
		hard = q.Spec.Hard
	}
	var rows [][]string
	for _, name := range slices.Sorted(maps.Keys(hard)) {
		used, h := q.Status.Used[name], hard[name]
		rows = append(rows, []string{string(name), used.String(), h.String()})
	}
	d.table(0, "Resource\tUsed\tHard", append([][]string{{"--------", "----", "----"}}, rows...))
}

// describeLimitRange is kubectl's describe of a LimitRange: one row per
// type and resource, with the defaults Kubernetes would have stored.
func describeLimitRange(d *describer, lr *corev1.LimitRange) {
	var rows [][]string
	for _, raw := range lr.Spec.Limits {
		it := quota.EffectiveItem(raw)
		names := map[corev1.ResourceName]bool{}
		for _, l := range []corev1.ResourceList{it.Min, it.Max, it.Default, it.DefaultRequest, it.MaxLimitRequestRatio} {
			for k := range l {
				names[k] = true
			}
		}
		for _, n := range slices.Sorted(func(yield func(corev1.ResourceName) bool) {
			for k := range names {
				if !yield(k) {
					return
				}
			}
		}) {
			cell := func(l corev1.ResourceList) string {
				if q, ok := l[n]; ok {
					return q.String()
				}
				return "-"
			}
			rows = append(rows, []string{string(it.Type), string(n), cell(it.Min), cell(it.Max), cell(it.DefaultRequest), cell(it.Default), cell(it.MaxLimitRequestRatio)})
		}
	}
	d.table(0, "Type\tResource\tMin\tMax\tDefault Request\tDefault Limit\tMax Limit/Request Ratio",
		append([][]string{{"----", "--------", "---", "---", "---------------", "-------------", "-----------------------"}}, rows...))
}
