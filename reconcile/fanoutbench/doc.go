// Package fanoutbench measures the API server's watch fan-out on a real
// Badger store: N node watchers (each an agent's watch of its own pods,
// with its node identity) and a few admin watchers of everything, while
// agents write pod statuses concurrently through the API. It reports the
// latency from the start of a pod's status write to the moment every
// interested watcher (the pod's node and the admins) has read the event,
// p50 and p99, with the status writes' throughput and the process' CPU.
//
// It is the measurement of issue 13's "watch fan-out latency": the
// benchmarks of this package run it at 1,000 and 5,000 watchers, and the
// scale benchmark calls Measure. Everything runs in one process over
// loopback HTTP; node identities are given to the handler as a verified
// certificate subject (what the TLS handshake would establish), so the
// figures leave TLS out.
package fanoutbench
