package nodelease

import (
	"time"
)

// KeyPrefix is the side-record prefix of every node's lease.
const KeyPrefix = "nodelease/"

// Key is the side-record key of node's lease.
func Key(node string) string { return KeyPrefix + node }

// DefaultDurationSeconds is a lease's duration as Kubernetes' kubelet
// sets it (leaseDurationSeconds: 40, the node monitor grace period).
const DefaultDurationSeconds = 40

// Lease is one node's renewal as stored, in the words of Kubernetes'
// coordination.k8s.io/v1 LeaseSpec. RenewTime is the clock of the API
// server that took the renewal, not the agent's: nodes' clocks may drift.
type Lease struct {
	// HolderIdentity is the node whose agent holds the lease.
	HolderIdentity string `json:"holderIdentity"`
	// LeaseDurationSeconds is how long the lease holds after RenewTime.
	LeaseDurationSeconds int32 `json:"leaseDurationSeconds,omitempty"`
	// RenewTime is when the agent last renewed it.
	RenewTime time.Time `json:"renewTime"`
}

// Later returns the later of a and b: what a reader takes from a node's
// last status post (its Ready condition's lastHeartbeatTime) and its
// lease, as Kubernetes' node lifecycle controller takes whichever moved.
func Later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
