// Package schedbench builds the synthetic cluster of the scheduler's speed
// target (issue 10): 1,000 nodes in 10 zones running 30,000 pods, and
// 10,000 pending pods of which a third carry pod anti-affinity or
// topology spread constraints. scheduler's BenchmarkSchedule places them;
// reconcile/controllers' BenchmarkScheduleAndBind also writes the
// bindings to a real store.
package schedbench
