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
}

// RenewTime is node's last renewal in the store; false when it has no
// lease (an agent older than leases, a node never heartbeating) or the
// record cannot be read (the caller then goes by the Node's status).
func (r Reader) RenewTime(node string) (time.Time, bool) {
	var l Lease
	ok, err := r.Store.GetMeta(Key(node), &l)
	if err != nil || !ok {
		return time.Time{}, false
	}
	return l.RenewTime, true
}
