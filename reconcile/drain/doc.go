// Package drain is node maintenance as kubectl does it: Cordon marks a
// node unschedulable (spec.unschedulable; the scheduler places no new pods
// there and the node controller shows the node.kubernetes.io/
// unschedulable:NoSchedule taint), Drain cordons and then evicts the
// node's pods through the eviction API, so each is stopped with its own
// grace period and its controller replaces it on another node, and waits
// until they are gone.
//
// Which pods go is decided by Filter, a pure function with kubectl drain's
// rules: DaemonSet pods stay (they tolerate the cordon and would come back;
// kubectl's --ignore-daemonsets, here always on), pods that declare no
// controller are refused unless Force (nothing would recreate them, but a
// git source recreates its own bare pods elsewhere), pods with emptyDir
// volumes are refused unless DeleteEmptyDirData (their data goes with
// them). A refusal evicts nothing; the node stays cordoned.
//
// The eviction API is where PodDisruptionBudgets will be enforced; Drain
// retries an eviction refused with 429 TooManyRequests, as kubectl does,
// until its timeout.
package drain
