package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// ErrTxnTooBig: one Update wrote more than Badger accepts in a transaction.
var ErrTxnTooBig = errors.New("transaction too large for one Badger transaction (on disk: the objects per commit the store was opened for, --max-commit-objects, plus a third more for Service allocations and pruned objects; in memory: 38 MiB of JSON); split the source into smaller sources or raise --max-commit-objects")

// Options tune a store. The zero value is the default.
type Options struct {
	// History is how many events Watch can replay; 10,000 when zero.
	History int
	// EncryptionKey (16, 24 or 32 bytes: AES) encrypts the data on disk with
	// Badger's own encryption, so Secrets are kept encrypted at rest. A store
	// created with a key opens only with that key.
	EncryptionKey []byte
	// HistoryBytes bounds the watch history by the objects' encoded size
	// as well (64 MiB when zero).
	HistoryBytes int64
	// GCInterval is how often old revisions are collected from Badger's
	// value log (DefaultGCInterval when zero; negative: never, except
	// after large overwrites and deletes).
	GCInterval time.Duration
	// MaxValueBytes is the largest object or side record the store must
	// accept (its JSON); at least 8 MiB. It sizes Badger's value-log
	// files (gc.go).
	MaxValueBytes int64
	// MaxTxnObjects is how many objects one transaction must hold: a
	// source's commit, so the per-commit limit (schema.Limits.
	// MaxCommitObjects); 10,000 when zero. It sizes Badger's memtable
	// (gc.go): a transaction may write a third more entries (Service
	// allocations, pruned objects) and 1,000 side records.
	MaxTxnObjects int
	// LockWait bounds how long Open waits for another process's lock on
	// dir (DefaultLockWait when zero; negative: do not wait).
	LockWait time.Duration
	// Log receives the "waiting for the lock" message; slog.Default() when nil.
	Log *slog.Logger
}

const (
	defaultMaxValue     = 8 << 20
	defaultTxnObjects   = 10000
	defaultHistory      = 10000
	defaultHistoryBytes = 64 << 20
)

var rvKey = []byte("s/rv")

// Store is the object store. It is safe for concurrent use.
// Fenced returns a second Store on the same core (etcd_fence.go).
type Store struct {
	*core
	// fence, when set, is added to every log append (etcd only).
	fence *fence
}

// core is the state of one store that its fenced views share.
type core struct {
	db *badger.DB
	// etcd, when set, makes the Badger database a view of a log in etcd
	// (etcd.go); nil for the Badger engine.
	etcd *etcdLog
	mu   sync.Mutex    // serialises writers
	rv   atomic.Uint64 // last committed resourceVersion
	h    *history
	// cache holds decoded objects by Badger key and version, so reads
	// copy instead of decoding JSON (several times faster).
	cache decodeCache
	// counts are the objects per kind (counts.go), for /metrics.
	counts kindCounts
	// pods are the pods by node (podindex.go), for agents' lists.
	pods podIndex

	// Garbage collection (gc.go): garbage counts the bytes of old
	// revisions since the last compaction; the loop runs until gcDone.
	garbage      atomic.Int64
	largeGarbage atomic.Int64
	gcMu         sync.Mutex
	gcKick       chan struct{}
	gcDone       chan struct{}
	gcStopped    chan struct{}
	gcErr        atomic.Value // string: the last GC error, for tests and logs
	closeOnce    sync.Once

	// metaWake is closed, and replaced, by every commit that writes a side
	// record (MetaChanged): meta records send no watch events.
	metaMu   sync.Mutex
	metaWake chan struct{}
}

// Open opens (or creates) the store in dir.
func Open(dir string) (*Store, error) { return OpenWith(dir, Options{}) }

// OpenInMemory opens an empty store that lives in memory only (tests, diff).
func OpenInMemory() (*Store, error) { return OpenWith("", Options{}) }

// OpenWith opens the store in dir, or in memory when dir is "".
func OpenWith(dir string, o Options) (*Store, error) {
	maxValue := max(o.MaxValueBytes, defaultMaxValue)
	var opts badger.Options
	if dir == "" {
		opts = badger.DefaultOptions("").WithInMemory(true).
			WithMemTableSize(256 << 20)
	} else {
		// Values over 64 bytes go to the value log (commits of many
		// objects stay small in the LSM tree); its files are small so
		// that GC can reclaim old revisions of large objects, and the
		// memtable as small as a commit allows (gc.go).
		txnObjects := o.MaxTxnObjects
		if txnObjects <= 0 {
			txnObjects = defaultTxnObjects
		}
		opts = badger.DefaultOptions(dir).
			WithValueThreshold(valueThreshold).
			WithMemTableSize(memTableSize(txnObjects)).
			WithValueLogFileSize(valueLogFileSize(maxValue)).
			WithBlockCacheSize(32 << 20)
	}
	if len(o.EncryptionKey) > 0 {
		// Badger requires a block index cache with encryption; 64 MiB holds
		// the indexes of a large store. Keys rotate every 10 days (default).
		opts = opts.WithEncryptionKey(o.EncryptionKey).WithIndexCacheSize(64 << 20)
	}
	opts = opts.WithDetectConflicts(false).WithLogger(quietLogger{}).WithNumVersionsToKeep(1)
	var db *badger.DB
	var err error
	if dir == "" {
		if db, err = badger.Open(opts); err != nil {
			return nil, fmt.Errorf("open in-memory store: %w", err)
		}
	} else {
		wait, log := o.LockWait, o.Log
		if wait == 0 {
			wait = DefaultLockWait
		}
		if log == nil {
			log = slog.Default()
		}
		if db, err = openLocked(dir, opts, max(wait, 0), log); err != nil {
			if errors.Is(err, ErrLocked) {
				return nil, err
			}
			return nil, fmt.Errorf("open store in %s: %w", dir, err)
		}
	}
	st := &Store{core: &core{db: db}}
	var rv uint64
	err = db.View(func(txn *badger.Txn) error {
		var err error
		rv, err = readRV(txn)
		return err
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: read resourceVersion: %w", err)
	}
	st.rv.Store(rv)
	if err := st.counts.load(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store: count objects: %w", err)
	}
	n := o.History
	if n <= 0 {
		n = defaultHistory
	}
	hb := o.HistoryBytes
	if hb <= 0 {
		hb = defaultHistoryBytes
	}
	st.h = newHistory(n, hb, rv)
	st.gcKick, st.gcDone, st.gcStopped = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
	interval := o.GCInterval
	switch {
	case interval == 0:
		interval = DefaultGCInterval
	case interval < 0:
		interval = 1<<63 - 1
	}
	if dir == "" {
		close(st.gcStopped) // nothing on disk to collect
	} else {
		go st.gcLoop(interval)
		keepGCPace()
	}
	return st, nil
}

// Close closes every watch channel and the database.
func (s *Store) Close() error {
	s.stopFollowing()
	s.closeOnce.Do(func() { close(s.gcDone) })
	<-s.gcStopped
	s.mu.Lock()
	defer s.mu.Unlock()
	s.h.close()
	return s.db.Close()
}

// ResourceVersion is the resourceVersion of the last committed write.
func (s *Store) ResourceVersion() uint64 { return s.rv.Load() }

// Get returns the object stored under key, or ErrNotFound.
func (s *Store) Get(key objects.Key) (objects.Object, error) {
	return s.get(key, false)
}

// GetShared is Get without the copy: the store's cached object itself,
// shared with every other shared reader (ListShared's contract: the
// caller must not modify it). For a reader of one field of an object read
// often, such as a heartbeat checking its Node's Ready condition, where
// the deep copy of a Node was most of the read.
func (s *Store) GetShared(key objects.Key) (objects.Object, error) {
	return s.get(key, true)
}

// view runs fn in a read transaction of the store. On etcd it waits out
// a checkpoint being loaded into the view (etcdLog.loading): Badger's
// load is many transactions, and a reader must not see it half done.
func (s *Store) view(fn func(txn *badger.Txn) error) error {
	if s.etcd != nil {
		s.etcd.loading.RLock()
		defer s.etcd.loading.RUnlock()
	}
	return s.db.View(fn)
}

func (s *Store) get(key objects.Key, shared bool) (objects.Object, error) {
	var o objects.Object
	err := s.view(func(txn *badger.Txn) error {
		var err error
		o, err = s.getObject(txn, nil, key, shared)
		return err
	})
	return o, err
}

// List returns the objects of kind (every kind when "") in namespace (every
// namespace when ""), sorted by key, and the store's resourceVersion at the
// time of the list: watching from it misses nothing.
func (s *Store) List(kind, namespace string) ([]objects.Object, uint64, error) {
	return s.list(kind, namespace, false)
}

// ListShared is List without the copies: it returns the store's cached
// objects themselves, shared with every other ListShared caller and the
// cache. The caller must not modify them (copy one with objects.Copy
// first). For readers of many objects that change few, such as the
// planner, this turns a list of 10,000 unchanged objects from 10,000 deep
// copies into 10,000 map lookups.
func (s *Store) ListShared(kind, namespace string) ([]objects.Object, uint64, error) {
	return s.list(kind, namespace, true)
}

// list reads the objects and the resourceVersion in one read transaction.
func (s *Store) list(kind, namespace string, shared bool) ([]objects.Object, uint64, error) {
	var out []objects.Object
	var rv uint64
	err := s.view(func(txn *badger.Txn) error {
		var err error
		if rv, err = readRV(txn); err != nil {
			return err
		}
		out, err = s.listObjects(txn, nil, kind, namespace, shared)
		return err
	})
	return out, rv, err
}

// GetMeta decodes the side record under key into v; false when absent.
func (s *Store) GetMeta(key string, v any) (bool, error) {
	var found bool
	err := s.view(func(txn *badger.Txn) error {
		var err error
		found, err = getMeta(txn, key, v)
		return err
	})
	return found, err
}

// ListMeta returns the side records whose key starts with prefix, sorted.
func (s *Store) ListMeta(prefix string) ([]MetaRecord, error) {
	var out []MetaRecord
	err := s.view(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{PrefetchValues: true, PrefetchSize: 100, Prefix: []byte("m/" + prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			out = append(out, MetaRecord{Key: string(it.Item().Key()[2:]), Value: v})
		}
		return nil
	})
	return out, err
}

// Update runs fn in one write transaction. If fn returns an error nothing is
// written. Watch events go out after the commit, in resourceVersion order.
func (s *Store) Update(fn func(tx *Tx) error) error {
	if s.etcd != nil {
		return s.updateEtcd(fn)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	tx := &Tx{st: s, txn: txn, rv: s.rv.Load(), written: map[string]bool{}}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.setRV(); err != nil {
		return err
	}
	if err := commitTxn(txn); err != nil {
		return err
	}
	s.committed(tx)
	return nil
}

// setRV writes the resourceVersion counter when the transaction used one.
func (tx *Tx) setRV() error {
	if tx.rv == tx.st.rv.Load() {
		return nil
	}
	return tx.set(rvKey, rvBytes(tx.rv))
}

func rvBytes(rv uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, rv)
	return b
}

func commitTxn(txn *badger.Txn) error {
	if err := txn.Commit(); err != nil {
		if errors.Is(err, badger.ErrTxnTooBig) {
			return ErrTxnTooBig
		}
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// committed publishes a committed transaction: the resourceVersion, the
// cache, the counts, the watch events, the side-record wake-up and the GC
// triggers. The caller holds s.mu.
func (s *Store) committed(tx *Tx) {
	s.rv.Store(tx.rv)
	s.cache.forget(tx.written)
	s.counts.apply(tx.events)
	s.pods.apply(tx.events, tx.rv)
	s.h.publish(tx.events)
	if tx.metaWritten {
		s.wakeMeta()
	}
	s.garbage.Add(tx.garbage)
	if s.largeGarbage.Add(tx.largeGarbage) >= bigWrite {
		s.kickGC()
	}
}

func readRV(txn *badger.Txn) (uint64, error) {
	item, err := txn.Get(rvKey)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	var rv uint64
	err = item.Value(func(v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("corrupt resourceVersion record (%d bytes)", len(v))
		}
		rv = binary.BigEndian.Uint64(v)
		return nil
	})
	return rv, err
}

func objectKey(k objects.Key) []byte {
	return []byte("o/" + k.Kind + "/" + k.Namespace + "/" + k.Name)
}

func listPrefix(kind, namespace string) []byte {
	switch {
	case kind == "":
		return []byte("o/")
	case namespace == "":
		return []byte("o/" + kind + "/")
	}
	return []byte("o/" + kind + "/" + namespace + "/")
}

func (s *Store) getObject(txn *badger.Txn, written map[string]bool, key objects.Key, shared bool) (objects.Object, error) {
	item, err := txn.Get(objectKey(key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("%s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return s.cache.object(item, key.Kind, written, shared)
}

func (s *Store) listObjects(txn *badger.Txn, written map[string]bool, kind, namespace string, shared bool) ([]objects.Object, error) {
	// No value prefetch: a cache hit never reads the value.
	it := txn.NewIterator(badger.IteratorOptions{Prefix: listPrefix(kind, namespace)})
	defer it.Close()
	var out []objects.Object
	if kind == "" && namespace == "" { // every object: about as many as the cache holds
		out = make([]objects.Object, 0, s.cache.len()+16)
	}
	for it.Rewind(); it.Valid(); it.Next() {
		item := it.Item()
		k := kind
		if k == "" {
			k = kindOfKey(item.Key())
		}
		o, err := s.cache.object(item, k, written, shared)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", item.Key(), err)
		}
		out = append(out, o)
	}
	return out, nil
}

func kindOfKey(k []byte) string {
	for i := 2; i < len(k); i++ {
		if k[i] == '/' {
			if name, ok := kindNames[string(k[2:i])]; ok {
				return name // a list of every kind reads one key per object: no string each
			}
			return string(k[2:i])
		}
	}
	return ""
}

// kindNames maps every kind's name to itself.
var kindNames = func() map[string]string {
	m := map[string]string{}
	for _, k := range objects.Kinds() {
		m[k.Kind] = k.Kind
	}
	return m
}()

func decode(kind string, data []byte) (objects.Object, error) {
	o, err := objects.New(kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, o); err != nil {
		return nil, fmt.Errorf("decode stored %s: %w", kind, err)
	}
	objects.SetTypeMeta(o, kind)
	return o, nil
}

func getMeta(txn *badger.Txn, key string, v any) (bool, error) {
	item, err := txn.Get([]byte("m/" + key))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
}

// quietLogger drops Badger's info and debug chatter; warnings and errors
// still reach the process log through the standard logger.
type quietLogger struct{}

func (quietLogger) Errorf(f string, a ...any)   { logf("badger error: "+f, a...) }
func (quietLogger) Warningf(f string, a ...any) { logf("badger warning: "+f, a...) }
func (quietLogger) Infof(string, ...any)        {}
func (quietLogger) Debugf(string, ...any)       {}
