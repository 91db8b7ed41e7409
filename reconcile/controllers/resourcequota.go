package controllers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// quotaCounted are the kinds whose objects a quota may count; an event on
// one queues the quotas of its namespace.
var quotaCounted = []string{"Pod", "Service", "ConfigMap", "Secret", "ResourceQuota", "LimitRange",
	"Deployment", "ReplicaSet", "DaemonSet", "StatefulSet", "Job", "CronJob"}

// quotaWatches maps every counted kind to the quotas of the object's
// namespace.
func quotaWatches() map[string]MapFunc {
	m := map[string]MapFunc{}
	for _, k := range quotaCounted {
		if k != "ResourceQuota" {
			m[k] = quotasOfNamespace
		}
	}
	return m
}

func quotasOfNamespace(c *cache, old, cur objects.Object) []objects.Key {
	o := cur
	if o == nil {
		o = old
	}
	var out []objects.Key
	for k := range c.byKind["ResourceQuota"] {
		if k.Namespace == o.GetNamespace() {
			out = append(out, k)
		}
	}
	return out
}

// resourceQuotaStep is Kubernetes' resource quota controller: status.hard
// is spec.hard, status.used what the namespace's objects use of each hard
// resource (reconcile/quota.Used), written when it changed.
func resourceQuotaStep(in Inputs, q *corev1.ResourceQuota) Changes {
	used := quota.Used(q, in.cache.quotaObjects(q), in.Now)
	want := corev1.ResourceQuotaStatus{Hard: q.Spec.Hard, Used: used}
	if equality.Semantic.DeepEqual(q.Status, want) {
		return Changes{}
	}
	next := q.DeepCopy()
	next.Status = want
	return Changes{UpdateStatus: []objects.Object{next}}
}

// quotaObjects are the cached objects of q's namespace of the kinds its
// hard resources count.
func (c *cache) quotaObjects(q *corev1.ResourceQuota) []objects.Object {
	kinds := map[string]bool{}
	for name := range q.Spec.Hard {
		n := string(name)
		switch {
		case quota.IsCompute(name), name == quota.Pods:
			kinds["Pod"] = true
		case strings.HasPrefix(n, "services"):
			kinds["Service"] = true
		case name == quota.ConfigMaps:
			kinds["ConfigMap"] = true
		case name == quota.Secrets:
			kinds["Secret"] = true
		case name == quota.ResourceQuotas:
			kinds["ResourceQuota"] = true
		default:
			for _, k := range quotaCounted {
				if quota.CountName(k) == name {
					kinds[k] = true
				}
			}
		}
	}
	var out []objects.Object
	for kind := range kinds {
		for k, o := range c.byKind[kind] {
			if k.Namespace == q.Namespace {
				out = append(out, o)
			}
		}
	}
	return out
}
