package nodelease

import (
	"time"
)

// Getter reads one side record (*store.Store).
type Getter interface {
	GetMeta(key string, v any) (bool, error)
}

// Reader reads the leases any server flushed to the store: what the node
// lifecycle controller compares with the grace period.
type Reader struct {
	Store Getter
	// Local, when set, is the lease table of the API server in the same
	// process. A renewal it took within LocalFresh answers without reading
	// the store: the node lifecycle controller only asks whether the last
	// renewal is within the grace period (40 s), and a renewal younger than
	// LocalFresh is, wherever newer ones were taken. Without that, its
	// periodic pass over 5,000 nodes read and decoded 5,000 store records
	// every 10 s (BENCHMARKS.md, issue 13: heartbeats, round 3). An older
	// local renewal (the agent moved to another server) goes to the store.
	Local *Table
	// Now is the clock Local's renewals are compared with (nil: time.Now;
	// the Table holds the API server's clock).
	Now func() time.Time
	// Fresh is how recent a renewal in Local must be to answer without
	// the store (0: LocalFresh). It must stay under the node monitor grace
	// period (runController gives half of it): a node is never found past
	// its grace period from a renewal that answered.
	Fresh time.Duration
}

// LocalFresh is Reader.Fresh's default: half the lease duration (the
// default grace period).
const LocalFresh = DefaultDurationSeconds * time.Second / 2

// RenewTime is node's last renewal: a fresh one in Local, else the later
// of Local's and the store's; false when it has none (an agent older than
// leases, a node never heartbeating) or the record cannot be read (the
// caller then goes by the Node's status).
func (r Reader) RenewTime(node string) (time.Time, bool) {
	local, haveLocal := time.Time{}, false
	if r.Local != nil {
		local, haveLocal = r.Local.RenewTime(node)
		if haveLocal && r.now().Sub(local) < r.fresh() {
			return local, true
		}
	}
	var l Lease
	ok, err := r.Store.GetMeta(Key(node), &l)
	if err != nil || !ok {
		return local, haveLocal
	}
	return Later(l.RenewTime, local), true
}

func (r Reader) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r Reader) fresh() time.Duration {
	if r.Fresh > 0 {
		return r.Fresh
	}
	return LocalFresh
}
