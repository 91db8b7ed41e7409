package store

import (
	"sync"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// decodeCache keeps the last decoded object per key with the Badger
// version it was decoded from. A Badger version is the commit timestamp
// of the write, so an equal version means equal bytes. Keys a transaction
// wrote itself are read fresh (their pending version is not a commit's).
// It holds one object per stored key, like an informer cache.
type decodeCache struct {
	mu sync.Mutex
	m  map[string]cached
}

// maxCachedValue: larger objects are decoded on every read instead of
// being kept, so the cache's memory follows the number of objects, not
// their size (a 10 MB ConfigMap costs a decode per read, and nothing once
// it is read).
const maxCachedValue = 256 << 10

type cached struct {
	version uint64
	obj     objects.Object
}

// object returns the object in item, decoding only on a miss: a copy the
// caller owns, or with shared the cached object itself, which nobody may
// modify (it is handed to every shared reader).
func (c *decodeCache) object(item *badger.Item, kind string, written map[string]bool, shared bool) (objects.Object, error) {
	k := item.Key()
	fresh := written[string(k)] // indexing by string(k) does not allocate
	if !fresh {
		c.mu.Lock()
		e, ok := c.m[string(k)]
		c.mu.Unlock()
		if ok && e.version == item.Version() {
			if shared {
				return e.obj, nil
			}
			return objects.Copy(e.obj), nil
		}
	}
	var o objects.Object
	err := item.Value(func(v []byte) error {
		var err error
		o, err = decode(kind, v)
		return err
	})
	if err != nil || fresh || item.ValueSize() > maxCachedValue {
		return o, err
	}
	keep := o
	if !shared {
		keep = objects.Copy(o) // the caller may modify o
	}
	key := string(k)
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]cached{}
	}
	if e, ok := c.m[key]; !ok || e.version < item.Version() {
		c.m[key] = cached{version: item.Version(), obj: keep}
	} else if shared && e.version == item.Version() {
		o = e.obj // another reader cached the same version first
	}
	c.mu.Unlock()
	return o, nil
}

// len is how many objects the cache holds: about how many are stored.
func (c *decodeCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}

// forget drops keys a committed transaction wrote (deleted keys included),
// so the cache never outlives an object.
func (c *decodeCache) forget(keys map[string]bool) {
	c.mu.Lock()
	for k := range keys {
		delete(c.m, k)
	}
	c.mu.Unlock()
}
