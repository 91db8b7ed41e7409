// Package priority is Kubernetes' Priority admission over values: it
// resolves a pod's spec.priority and spec.preemptionPolicy from its
// priorityClassName (or the cluster's globalDefault PriorityClass, else
// zero) when the pod is created, and knows the two built-in classes that
// exist in every cluster without being in git. It is pure: callers pass
// the PriorityClasses they read.
package priority
