// Package quota is Kubernetes' LimitRanger and ResourceQuota admission
// over values, and the quota controller's usage count.
//
// LimitRanger (limitranger.go): a pod's containers get the defaults of the
// namespace's LimitRanges for the requests and limits they leave unset,
// then each container (and the whole pod for type Pod) is checked against
// min, max and maxLimitRequestRatio, with the API server's words.
//
// ResourceQuota (usage.go, tally.go): every object has a usage (a pod its
// requests, limits and counts; any object its count/<plural>.<group>); a
// Tally holds the namespace's quotas with their used amounts and admits
// an object when the amounts it adds stay within every matching quota's
// hard limits, else refuses it as the API server does ("exceeded quota:
// …", "must specify requests.cpu …").
//
// Names and checks of the two kinds (names.go, validate.go) serve the
// schema. Everything is pure: callers pass the objects they read (the
// planner the commit's state, the controller runner its cache).
package quota
