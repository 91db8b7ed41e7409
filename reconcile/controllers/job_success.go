package controllers

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// matchSuccessPolicy reports the first successPolicy rule the succeeded
// indexes meet, as Kubernetes words it ("Matched rules at index 0"): a rule
// with succeededIndexes needs all of them, or succeededCount of them, to
// have succeeded; one with only succeededCount needs that many indexes.
func matchSuccessPolicy(job *batchv1.Job, succeeded []int) (string, bool) {
	if job.Spec.SuccessPolicy == nil || !jobIndexed(job) {
		return "", false
	}
	for i, rule := range job.Spec.SuccessPolicy.Rules {
		if rule.SucceededIndexes == nil {
			if rule.SucceededCount != nil && len(succeeded) >= int(*rule.SucceededCount) {
				return fmt.Sprintf("Matched rules at index %d", i), true
			}
			continue
		}
		want, err := objects.ParseIndexes(*rule.SucceededIndexes, jobCompletions(job))
		if err != nil || len(want) == 0 {
			continue // validation refuses these; an old object may still hold one
		}
		n := 0
		for _, idx := range succeeded {
			for _, r := range want {
				if idx >= r.First && idx <= r.Last {
					n++
					break
				}
			}
		}
		need := objects.CountIndexes(want)
		if rule.SucceededCount != nil {
			need = int(*rule.SucceededCount)
		}
		if n >= need {
			return fmt.Sprintf("Matched rules at index %d", i), true
		}
	}
	return "", false
}
