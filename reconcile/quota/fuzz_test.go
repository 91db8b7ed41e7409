package quota

import (
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzValidateAndAdmit: quotas and limit ranges from manifests (decoded as
// the schema decodes them) never panic validation, LimitRanger or the
// tally, whatever their quantities and names.
func FuzzValidateAndAdmit(f *testing.F) {
	f.Add(`{"spec":{"hard":{"requests.cpu":"1","requests.memory":"1Gi","limits.cpu":"2","limits.memory":"2Gi"}}}`,
		`{"spec":{"limits":[{"type":"Container","max":{"cpu":"800m"},"min":{"cpu":"200m"}}]}}`)
	f.Add(`{"spec":{"hard":{"pods":"10","cpu":"1000"},"scopeSelector":{"matchExpressions":[{"operator":"In","scopeName":"PriorityClass","values":["high"]}]}}}`,
		`{"spec":{"limits":[{"type":"Container","default":{"memory":"512Mi"},"defaultRequest":{"memory":"256Mi"}}]}}`)
	f.Add(`{"spec":{"hard":{"count/deployments.apps":"0","persistentvolumeclaims":"1"},"scopes":["BestEffort","NotBestEffort"]}}`,
		`{"spec":{"limits":[{"type":"Pod","max":{"cpu":"1"},"maxLimitRequestRatio":{"memory":"0"}},{}]}}`)
	f.Fuzz(func(t *testing.T, q, lr string) {
		var rq corev1.ResourceQuota
		var lrange corev1.LimitRange
		if json.Unmarshal([]byte(q), &rq) != nil || json.Unmarshal([]byte(lr), &lrange) != nil {
			return
		}
		rq.Namespace, lrange.Namespace = "ns", "ns"
		ValidateQuota(&rq)
		ValidateLimitRange(&lrange)
		p := pod("p", ctr("a", list("cpu", "100m"), list("memory", "1Gi")), ctr("b", nil, nil))
		p.Spec.InitContainers = []corev1.Container{ctr("init", nil, list("cpu", "2"))}
		_ = LimitPod(p, []*corev1.LimitRange{&lrange})
		tl := NewTally([]*corev1.ResourceQuota{&rq})
		tl.Charge(p, PodUsage(p, now))
		_ = tl.Admit(p, PodUsage(p, now))
		Used(&rq, toObjects(p), now)
	})
}
