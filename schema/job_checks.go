package schema

import (
	"fmt"
	"math"
	"slices"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// maxIndexedCompletions is Kubernetes' bound on completions and
// maxFailedIndexes with backoffLimitPerIndex (the failed indexes are kept
// in status).
const maxIndexedCompletions = 100000

// jobDefaults are Kubernetes' conditional Job defaults: backoffLimit is 6,
// or unlimited with backoffLimitPerIndex; podReplacementPolicy is Failed
// with a podFailurePolicy, TerminatingOrFailed otherwise.
func jobDefaults(spec *batchv1.JobSpec) {
	if spec.BackoffLimit == nil {
		if spec.BackoffLimitPerIndex != nil {
			spec.BackoffLimit = ptr.To(int32(math.MaxInt32))
		} else {
			spec.BackoffLimit = ptr.To(int32(6))
		}
	}
	if spec.PodReplacementPolicy == nil {
		if spec.PodFailurePolicy != nil {
			spec.PodReplacementPolicy = ptr.To(batchv1.Failed)
		} else {
			spec.PodReplacementPolicy = ptr.To(batchv1.TerminatingOrFailed)
		}
	}
}

// jobChecks are the Job rules of Kubernetes' API server that relate
// several fields (ValidateJobSpec), with its words.
func jobChecks(spec *batchv1.JobSpec, add func(string, ...string), prefix ...string) {
	p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	indexed := spec.CompletionMode != nil && *spec.CompletionMode == batchv1.IndexedCompletion
	if indexed && spec.Completions == nil {
		add("required field is missing: completions, when completionMode is Indexed", p("completions")...)
	}
	completions := int32(0)
	if spec.Completions != nil {
		completions = *spec.Completions
	}
	if spec.BackoffLimitPerIndex != nil {
		if !indexed {
			add("backoffLimitPerIndex requires completionMode: Indexed", p("backoffLimitPerIndex")...)
		}
		if completions > maxIndexedCompletions {
			add(fmt.Sprintf("must be less than or equal to %d when backoffLimitPerIndex is specified", maxIndexedCompletions), p("completions")...)
		}
	}
	if m := spec.MaxFailedIndexes; m != nil {
		switch {
		case spec.BackoffLimitPerIndex == nil:
			add("required field is missing: backoffLimitPerIndex, when maxFailedIndexes is specified", p("backoffLimitPerIndex")...)
		case *m > maxIndexedCompletions:
			add(fmt.Sprintf("must be less than or equal to %d", maxIndexedCompletions), p("maxFailedIndexes")...)
		case spec.Completions != nil && *m > completions:
			add("must be less than or equal to completions", p("maxFailedIndexes")...)
		}
	}
	if spec.PodFailurePolicy != nil {
		if spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			add(`only "Never" is supported when podFailurePolicy is specified`, p("template", "spec", "restartPolicy")...)
		}
		if r := spec.PodReplacementPolicy; r != nil && *r != batchv1.Failed {
			add(`must be "Failed" when podFailurePolicy is specified`, p("podReplacementPolicy")...)
		}
		podFailurePolicyChecks(spec, add, p("podFailurePolicy", "rules")...)
	}
	if spec.SuccessPolicy != nil {
		successPolicyChecks(spec, indexed, completions, add, p("successPolicy", "rules")...)
	}
}

func podFailurePolicyChecks(spec *batchv1.JobSpec, add func(string, ...string), prefix ...string) {
	p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	rules := spec.PodFailurePolicy.Rules
	if len(rules) > 20 {
		add(fmt.Sprintf("too many rules: %d, at most 20", len(rules)), prefix...)
	}
	containers := map[string]bool{}
	for _, c := range append(slices.Clone(spec.Template.Spec.InitContainers), spec.Template.Spec.Containers...) {
		containers[c.Name] = true
	}
	for i, rule := range rules {
		idx := fmt.Sprint(i)
		if rule.Action == batchv1.PodFailurePolicyActionFailIndex && spec.BackoffLimitPerIndex == nil {
			add("action FailIndex requires backoffLimitPerIndex to be set", p(idx, "action")...)
		}
		switch {
		case rule.OnExitCodes != nil && rule.OnPodConditions != nil:
			add("specifying both onExitCodes and onPodConditions is not supported", p(idx)...)
		case rule.OnExitCodes == nil && rule.OnPodConditions == nil:
			add("specifying one of onExitCodes and onPodConditions is required", p(idx)...)
		case rule.OnExitCodes != nil:
			exitCodeChecks(rule.OnExitCodes, containers, add, p(idx, "onExitCodes")...)
		case len(rule.OnPodConditions) == 0:
			add("at least one pod condition is required", p(idx, "onPodConditions")...)
		}
	}
}

func exitCodeChecks(req *batchv1.PodFailurePolicyOnExitCodesRequirement, containers map[string]bool, add func(string, ...string), prefix ...string) {
	p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	if req.ContainerName != nil && !containers[*req.ContainerName] {
		add(fmt.Sprintf("%q must be one of the container or initContainer names in the pod template", *req.ContainerName), p("containerName")...)
	}
	switch {
	case len(req.Values) == 0:
		add("at least one value is required", p("values")...)
	case len(req.Values) > 255:
		add(fmt.Sprintf("too many values: %d, at most 255", len(req.Values)), p("values")...)
	}
	for i, v := range req.Values {
		switch {
		case req.Operator == batchv1.PodFailurePolicyOnExitCodesOpIn && v == 0:
			add("must not be 0 for the In operator (exit code 0 is a success)", p("values", fmt.Sprint(i))...)
		case i > 0 && v == req.Values[i-1]:
			add("must be unique", p("values", fmt.Sprint(i))...)
		case i > 0 && v < req.Values[i-1]:
			add("must be ordered", p("values", fmt.Sprint(i))...)
		}
	}
}

func successPolicyChecks(spec *batchv1.JobSpec, indexed bool, completions int32, add func(string, ...string), prefix ...string) {
	p := func(s ...string) []string { return append(append([]string(nil), prefix...), s...) }
	if !indexed {
		add("successPolicy requires completionMode: Indexed", prefix[:len(prefix)-1]...)
		return
	}
	rules := spec.SuccessPolicy.Rules
	switch {
	case len(rules) == 0:
		add("at least one rule must be specified", prefix...)
	case len(rules) > 20:
		add(fmt.Sprintf("too many rules: %d, at most 20", len(rules)), prefix...)
	}
	for i, rule := range rules {
		idx := fmt.Sprint(i)
		if rule.SucceededIndexes == nil && rule.SucceededCount == nil {
			add("at least one of succeededCount or succeededIndexes must be specified", p(idx)...)
			continue
		}
		n := completions
		if rule.SucceededIndexes != nil {
			rs, err := objects.ParseIndexes(*rule.SucceededIndexes, completions)
			if err != nil {
				add("error parsing succeededIndexes: "+err.Error(), p(idx, "succeededIndexes")...)
				continue
			}
			n = int32(objects.CountIndexes(rs))
		}
		if c := rule.SucceededCount; c != nil {
			switch {
			case *c > completions:
				add(fmt.Sprintf("must be less than or equal to %d (the number of specified completions)", completions), p(idx, "succeededCount")...)
			case rule.SucceededIndexes != nil && *c > n:
				add(fmt.Sprintf("must be less than or equal to %d (the number of indexes in the specified succeededIndexes field)", n), p(idx, "succeededCount")...)
			}
		}
	}
}
