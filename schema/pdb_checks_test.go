package schema

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// FuzzPodDisruptionBudget: whatever a manifest gives as minAvailable and
// maxUnavailable (JSON numbers or strings, either or both), validation
// does not panic, and a budget it accepts sets at most one of them, each
// a count ≥ 0 or a percentage of at most 100%.
func FuzzPodDisruptionBudget(f *testing.F) {
	f.Add(`2`, ``)
	f.Add(``, `"25%"`)
	f.Add(`1`, `1`)
	f.Add(`"150%"`, ``)
	f.Add(`-1`, ``)
	f.Add(`"1%%"`, ``)
	f.Add(`"abc"`, `null`)
	v := newTestValidator(f)
	f.Fuzz(func(t *testing.T, minAvailable, maxUnavailable string) {
		var fields []string
		if minAvailable != "" {
			fields = append(fields, `"minAvailable": `+minAvailable)
		}
		if maxUnavailable != "" {
			fields = append(fields, `"maxUnavailable": `+maxUnavailable)
		}
		fields = append(fields, `"selector": {"matchLabels": {"app": "web"}}`)
		src := fmt.Sprintf(`{"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "web"}, "spec": {%s}}`, strings.Join(fields, ", "))
		res := v.Validate([]File{{Path: "pdb.json", Data: []byte(src)}})
		if !res.OK() {
			return
		}
		spec := res.Manifests[0].Object.(*policyv1.PodDisruptionBudget).Spec
		if spec.MinAvailable != nil && spec.MaxUnavailable != nil {
			t.Fatalf("both bounds accepted: %s", src)
		}
		for _, b := range []*intstr.IntOrString{spec.MinAvailable, spec.MaxUnavailable} {
			if b == nil {
				continue
			}
			if b.Type == intstr.Int && b.IntVal < 0 {
				t.Fatalf("a negative bound accepted: %s", src)
			}
			if b.Type == intstr.String {
				n, err := strconv.Atoi(strings.TrimSuffix(b.StrVal, "%"))
				if !strings.HasSuffix(b.StrVal, "%") || err != nil || n < 0 || n > 100 {
					t.Fatalf("a bound that is not a percentage of at most 100%% accepted: %q in %s", b.StrVal, src)
				}
			}
		}
	})
}
