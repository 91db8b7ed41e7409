package controllers

import (
	"math"
	"time"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	"k8s.io/utils/ptr"
)

// Kubernetes' scaling behaviour (horizontal.go:
// normalizeDesiredReplicasWithBehaviors), over values. Like Kubernetes,
// the recommendations and scale events it needs live in the controller's
// memory (AutoscalerHistory), not in the object: a restarted controller
// starts a fresh scale-down window at the current size.

// HPARecommendation is one past recommendation.
type HPARecommendation struct {
	Replicas int32
	At       time.Time
}

// HPAScaleEvent is one past change of the target's size.
type HPAScaleEvent struct {
	Change int32 // pods added or removed
	At     time.Time
}

// HPAHistory is what one autoscaler remembers between runs.
type HPAHistory struct {
	Recommendations    []HPARecommendation
	ScaleUp, ScaleDown []HPAScaleEvent
}

// DefaultBehavior fills what behavior leaves out with Kubernetes' defaults
// (GenerateHPAScaleUpRules / GenerateHPAScaleDownRules): scale up with no
// window, by 100 % or 4 pods per 15 s, the larger; scale down with a 300 s
// window, by 100 % per 15 s; selectPolicy Max.
func DefaultBehavior(b *autoscalingv2.HorizontalPodAutoscalerBehavior) autoscalingv2.HorizontalPodAutoscalerBehavior {
	up := autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](0), SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15},
			{Type: autoscalingv2.PodsScalingPolicy, Value: 4, PeriodSeconds: 15}}}
	down := autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](300), SelectPolicy: ptr.To(autoscalingv2.MaxChangePolicySelect),
		Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}}
	if b != nil {
		merge(&up, b.ScaleUp)
		merge(&down, b.ScaleDown)
	}
	return autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleUp: &up, ScaleDown: &down}
}

func merge(dst *autoscalingv2.HPAScalingRules, src *autoscalingv2.HPAScalingRules) {
	if src == nil {
		return
	}
	if src.StabilizationWindowSeconds != nil {
		dst.StabilizationWindowSeconds = src.StabilizationWindowSeconds
	}
	if src.SelectPolicy != nil {
		dst.SelectPolicy = src.SelectPolicy
	}
	if len(src.Policies) > 0 {
		dst.Policies = src.Policies
	}
}

// normalized is the outcome of the behaviour: the size to set and the
// reasons for the AbleToScale and ScalingLimited conditions.
type normalized struct {
	Replicas                      int32
	AbleReason, AbleMessage       string
	Limited                       bool
	LimitedReason, LimitedMessage string
}

// normalizeReplicas stabilises the recommendation over the windows, then
// limits it by the policies and min/max. It returns the new history (the
// recommendation recorded; the caller records the scale event if it
// scales).
func normalizeReplicas(h HPAHistory, b autoscalingv2.HorizontalPodAutoscalerBehavior, minR, maxR, current, desired int32, now time.Time) (normalized, HPAHistory) {
	if len(h.Recommendations) == 0 {
		// maybeInitScaleDownStabilizationWindow: a new (or restarted)
		// autoscaler does not scale down before a window has passed.
		h.Recommendations = []HPARecommendation{{Replicas: current, At: now}}
	}
	stabilized, reason, message, h := stabilize(h, b, current, desired, now)
	out := normalized{AbleReason: "ReadyForNewScale", AbleMessage: "recommended size matches current size"}
	if stabilized != desired {
		out.AbleReason, out.AbleMessage = reason, message
	}
	out.Replicas, out.LimitedReason, out.LimitedMessage = limitByBehavior(h, b, minR, maxR, current, stabilized, now)
	out.Limited = out.Replicas != stabilized
	return out, h
}

// stabilize is stabilizeRecommendationWithBehaviors: on the way up the
// lowest, on the way down the highest recommendation of the window wins.
func stabilize(h HPAHistory, b autoscalingv2.HorizontalPodAutoscalerBehavior, current, desired int32, now time.Time) (int32, string, string, HPAHistory) {
	rec := desired
	var window int32
	var better func(a, b int32) int32
	var reason, message string
	if desired >= current {
		window, better = *b.ScaleUp.StabilizationWindowSeconds, minInt32
		reason, message = "ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation"
	} else {
		window, better = *b.ScaleDown.StabilizationWindowSeconds, maxInt32
		reason, message = "ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation"
	}
	longest := max(*b.ScaleUp.StabilizationWindowSeconds, *b.ScaleDown.StabilizationWindowSeconds)
	obsolete := now.Add(-time.Duration(longest) * time.Second)
	cutoff := now.Add(-time.Duration(window) * time.Second)
	kept := h.Recommendations[:0:0]
	for _, r := range h.Recommendations {
		if r.At.After(cutoff) {
			rec = better(r.Replicas, rec)
		}
		if !r.At.Before(obsolete) {
			kept = append(kept, r)
		}
	}
	h.Recommendations = append(kept, HPARecommendation{Replicas: desired, At: now})
	return rec, reason, message, h
}

// limitByBehavior is convertDesiredReplicasWithBehaviorRate.
func limitByBehavior(h HPAHistory, b autoscalingv2.HorizontalPodAutoscalerBehavior, minR, maxR, current, desired int32, now time.Time) (int32, string, string) {
	switch {
	case desired > current:
		limit := max(scaleUpLimit(current, h, *b.ScaleUp, now), current)
		allowed, reason, message := maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
		if allowed > limit {
			allowed, reason, message = limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate"
		}
		if desired > allowed {
			return allowed, reason, message
		}
	case desired < current:
		limit := min(scaleDownLimit(current, h, *b.ScaleDown, now), current)
		allowed, reason, message := minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
		if allowed < limit {
			allowed, reason, message = limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate"
		}
		if desired < allowed {
			return allowed, reason, message
		}
	}
	// Kubernetes clamps to min/max before the behaviour only through these
	// limits; a desired count outside them with no change pending is
	// clamped here too.
	if desired > maxR {
		return maxR, "TooManyReplicas", "the desired replica count is more than the maximum replica count"
	}
	if desired < minR {
		return minR, "TooFewReplicas", "the desired replica count is less than the minimum replica count"
	}
	return desired, "DesiredWithinRange", "the desired count is within the acceptable range"
}

// changedWithin sums the changes of events in the last period seconds.
func changedWithin(events []HPAScaleEvent, periodSeconds int32, now time.Time) int32 {
	cutoff := now.Add(-time.Duration(periodSeconds) * time.Second)
	var n int32
	for _, e := range events {
		if e.At.After(cutoff) {
			n += e.Change
		}
	}
	return n
}

// scaleUpLimit is calculateScaleUpLimitWithScalingRules.
func scaleUpLimit(current int32, h HPAHistory, rules autoscalingv2.HPAScalingRules, now time.Time) int32 {
	pick, result := maxInt32, int32(math.MinInt32)
	switch *rules.SelectPolicy {
	case autoscalingv2.DisabledPolicySelect:
		return current
	case autoscalingv2.MinChangePolicySelect:
		pick, result = minInt32, math.MaxInt32
	}
	for _, p := range rules.Policies {
		start := current - changedWithin(h.ScaleUp, p.PeriodSeconds, now) + changedWithin(h.ScaleDown, p.PeriodSeconds, now)
		var proposed int32
		if p.Type == autoscalingv2.PodsScalingPolicy {
			proposed = start + p.Value
		} else {
			proposed = int32(math.Ceil(float64(start) * (1 + float64(p.Value)/100)))
		}
		result = pick(result, proposed)
	}
	return result
}

// scaleDownLimit is calculateScaleDownLimitWithBehaviors.
func scaleDownLimit(current int32, h HPAHistory, rules autoscalingv2.HPAScalingRules, now time.Time) int32 {
	pick, result := minInt32, int32(math.MaxInt32)
	switch *rules.SelectPolicy {
	case autoscalingv2.DisabledPolicySelect:
		return current
	case autoscalingv2.MinChangePolicySelect:
		pick, result = maxInt32, math.MinInt32
	}
	for _, p := range rules.Policies {
		start := current - changedWithin(h.ScaleUp, p.PeriodSeconds, now) + changedWithin(h.ScaleDown, p.PeriodSeconds, now)
		var proposed int32
		if p.Type == autoscalingv2.PodsScalingPolicy {
			proposed = start - p.Value
		} else {
			proposed = int32(float64(start) * (1 - float64(p.Value)/100))
		}
		result = pick(result, proposed)
	}
	return result
}

// recordScale adds a scale event and forgets those older than the longest
// policy period (storeScaleEvent).
func recordScale(h HPAHistory, b autoscalingv2.HorizontalPodAutoscalerBehavior, prev, next int32, now time.Time) HPAHistory {
	var longest int32
	for _, r := range []*autoscalingv2.HPAScalingRules{b.ScaleUp, b.ScaleDown} {
		for _, p := range r.Policies {
			longest = max(longest, p.PeriodSeconds)
		}
	}
	cutoff := now.Add(-time.Duration(longest) * time.Second)
	prune := func(es []HPAScaleEvent) []HPAScaleEvent {
		out := es[:0:0]
		for _, e := range es {
			if e.At.After(cutoff) {
				out = append(out, e)
			}
		}
		return out
	}
	h.ScaleUp, h.ScaleDown = prune(h.ScaleUp), prune(h.ScaleDown)
	if next > prev {
		h.ScaleUp = append(h.ScaleUp, HPAScaleEvent{Change: next - prev, At: now})
	} else if next < prev {
		h.ScaleDown = append(h.ScaleDown, HPAScaleEvent{Change: prev - next, At: now})
	}
	return h
}

func minInt32(a, b int32) int32 { return min(a, b) }
func maxInt32(a, b int32) int32 { return max(a, b) }
