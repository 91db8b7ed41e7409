// Package disruption is Kubernetes' PodDisruptionBudget logic over values,
// shared by the three places that honour budgets: the disruption
// controller's status (Status, from the pods a budget selects and the
// scale of their controllers), the eviction API (Evict: allow and
// decrement, or refuse with 429 TooManyRequests in Kubernetes' words) and
// the scheduler's preemption (Violations). It does no I/O: callers pass
// the objects they read and write what it returns.
package disruption
