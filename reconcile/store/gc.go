package store

import (
	"errors"
	"runtime/debug"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Garbage collection of old revisions. Values over the value threshold
// live in Badger's value log, which only ever grows: a rewritten or deleted
// object leaves its old bytes there until a value-log GC rewrites the file
// without them. The store runs that GC every GCInterval and soon after a
// commit that overwrote or deleted much (bigWrite), and then returns freed
// heap to the OS (debug.FreeOSMemory), so that memory and disk come back
// after large objects go.
const (
	// DefaultGCInterval is how often the value log is collected.
	DefaultGCInterval = 5 * time.Minute
	// gcDiscardRatio: a value-log file is rewritten when at least half of
	// it is garbage (Badger's recommended 0.5).
	gcDiscardRatio = 0.5
	// bigWrite is how many bytes of overwritten or deleted large objects
	// (over largeObject) make a full GC run at once; the garbage of small
	// objects (status updates) waits for the periodic one.
	bigWrite = 4 << 20
	// freeAgainAfter: how long after a large delete freed heap is given
	// back to the OS a second time.
	freeAgainAfter = 10 * time.Second
	// minValueLogFileSize: value-log files are small (Badger's default is
	// 1 GiB) so that GC reclaims space file by file; a file must hold the
	// largest value, so they are at least twice Options.MaxValueBytes.
	minValueLogFileSize = 16 << 20
)

// Badger's memtable. Badger allocates its arena (memtableArenaBytes) from
// Go's heap, anew at every flush, and every collection flushes (below).
// Go zeroes reused heap unless every page of the span was returned to the
// OS (Go 1.26, mheap.initSpan); after large objects go, heap Go still
// holds is among the arena's pages more often than not, even right after
// debug.FreeOSMemory (a few pages freed concurrently are enough; tried:
// the arena was resident in 1 run of 3 to 2 of 3; flushAndCompact still
// does it, for the runs it helps), so after a flush the whole arena counts
// as resident. The memtable is therefore as small as
// the store's transactions allow: Badger bounds a transaction by the
// memtable (15 % of it in bytes, and that over its 96-byte skiplist node
// in entries: 640 bytes of memtable per entry), and one commit of a source
// is one transaction of one entry per object, one per ClusterIP or
// NodePort a Service claims, one per object it prunes, and a few side
// records (txnEntries: the objects, a third more, and 1,000). At the
// default 10,000 objects per commit that is 9 MiB, whose 11.7 MB arena is
// within the 20 % the controller's memory may keep after large objects go.
// The 128 MiB memtable of before left 166 MB resident from the first
// flush on; it also made the GC run two to six times less often, its
// arena counting as live heap: the store now keeps that pace in the open
// while it pays (gcpace.go), and the garbage of a commit was cut (BENCHMARKS.md, issue
// 8). Values over valueThreshold go to the
// value log and take a pointer's room only.
const (
	minMemTableSize       = 8 << 20
	memTableBytesPerEntry = 96 * 100 / 15
	valueThreshold        = 64
)

// memTableSize is the memtable for transactions of up to txnObjects
// objects (their entries: txnEntries), in whole MiB, at least
// minMemTableSize.
func memTableSize(txnObjects int) int64 {
	entries := txnEntries(txnObjects)
	const mib = 1 << 20
	return max(minMemTableSize, (entries*memTableBytesPerEntry+mib-1)/mib*mib)
}

// txnEntries is how many Badger entries a commit of objects may write.
func txnEntries(objects int) int64 { return int64(objects)*4/3 + 1000 }

// memtableArenaBytes is what a memtable of size takes in memory: its size
// plus room for the largest batch (Badger: 15 % of it, in bytes and in
// nodes).
func memtableArenaBytes(size int64) int64 { return size * 13 / 10 }

// valueLogFileSize is the size of the value-log files for values up to
// maxValue bytes.
func valueLogFileSize(maxValue int64) int64 {
	return max(minValueLogFileSize, 2*maxValue)
}

// gcLoop collects every interval (lightly: compaction and value-log GC
// when anything was overwritten or deleted) and fully when kicked after a
// large overwrite or delete, until gcDone is closed.
func (s *Store) gcLoop(interval time.Duration) {
	defer close(s.gcStopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	// The large objects a commit deleted are also held, for a moment, by
	// whoever wrote them (the source loop's commit, its validation), read
	// them (watchers) or encoded them (encoding/json keeps its last buffers
	// in a sync.Pool, which only a second GC empties): heap is given back
	// twice more after they let go.
	var freeAgain <-chan time.Time
	freesLeft := 0
	for {
		select {
		case <-s.gcDone:
			return
		case <-t.C:
			if s.garbage.Swap(0) > 0 {
				s.collect(false)
			}
		case <-s.gcKick:
			s.garbage.Store(0)
			s.largeGarbage.Store(0)
			s.collect(true)
			freeAgain, freesLeft = time.After(freeAgainAfter), 2
		case <-freeAgain:
			debug.FreeOSMemory()
			freeAgain = nil
			if freesLeft--; freesLeft > 0 {
				freeAgain = time.After(2 * freeAgainAfter)
			}
		}
	}
}

// CollectGarbage reclaims the space and memory of old revisions and
// deleted objects now. The store calls it by itself after large overwrites
// and deletes; tests and tools may call it at any time.
func (s *Store) CollectGarbage() {
	s.garbage.Store(0)
	s.largeGarbage.Store(0)
	s.collect(true)
}

// collect: Badger learns which value-log bytes are garbage only when a
// compaction of its LSM tree drops the old versions (NumVersionsToKeep is
// 1), and a memtable holding a few keys' pointers may never fill and
// flush. So the store flushes the memtable (a drop of a marker key's
// prefix, the one public way) and compacts the tree (Flatten); then it
// rewrites every value-log file at least half garbage. Badger never
// collects the file it writes to, which after a large delete holds the
// deleted values (and keeps their pages resident, as the files are
// mapped): a full collection first fills that file with a throwaway value
// so that Badger starts a new one. Last, freed heap goes back to the OS.
func (s *Store) collect(full bool) {
	s.gcMu.Lock() // the loop and CollectGarbage: one at a time
	defer s.gcMu.Unlock()
	if full {
		if err := s.rotateValueLog(); err != nil {
			s.gcErr.Store(err.Error())
		}
	}
	if err := s.flushAndCompact(); err != nil {
		s.gcErr.Store(err.Error())
	}
	for i := 0; i < 1000; i++ { // each round rewrites at most one file
		err := s.db.RunValueLogGC(gcDiscardRatio)
		if err != nil {
			if !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected) {
				s.gcErr.Store(err.Error())
			}
			break
		}
	}
	debug.FreeOSMemory()
}

// gcMarker is a side key written and dropped to make Badger flush its
// memtable (DropPrefix flushes only when the prefix exists); gcFiller
// fills the value-log file being written.
var (
	gcMarker = []byte("g/flush")
	gcFiller = []byte("g/fill")
)

func (s *Store) flushAndCompact() error {
	// The flush cuts a new memtable arena from Go's heap: give freed heap
	// back to the OS first, so that the arena lands on returned pages,
	// which Go does not zero and which cost nothing until written, at
	// least when no page freed meanwhile is among them (see memTableSize).
	debug.FreeOSMemory()
	// DropPrefix blocks writes while it runs: hold the writers' lock.
	s.mu.Lock()
	err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(gcMarker, []byte{1}) })
	if err == nil {
		err = s.db.DropPrefix(gcMarker)
	}
	s.mu.Unlock()
	if err != nil {
		return err
	}
	return s.db.Flatten(1)
}

// rotateValueLog writes and deletes a value as large as a value-log file,
// so that Badger closes the file being written and opens a new one.
func (s *Store) rotateValueLog() error {
	filler := make([]byte, s.db.Opts().ValueLogFileSize)
	if err := s.db.Update(func(txn *badger.Txn) error { return txn.Set(gcFiller, filler) }); err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Delete(gcFiller) })
}

// kickGC asks the GC loop to run soon; never blocks.
func (s *Store) kickGC() {
	select {
	case s.gcKick <- struct{}{}:
	default:
	}
}

// largeObject: events of objects larger than this do not outlive the
// object in the watch history, and a Deleted event carries only the
// object's metadata (watchers of deletions need the key, not the data).
const largeObject = 256 << 10

// metadataOnly is an object of kind with o's type and object metadata only.
func metadataOnly(kind string, o objects.Object) objects.Object {
	m, err := objects.New(kind)
	if err != nil {
		return o
	}
	m.SetName(o.GetName())
	m.SetNamespace(o.GetNamespace())
	m.SetUID(o.GetUID())
	m.SetResourceVersion(o.GetResourceVersion())
	m.SetGeneration(o.GetGeneration())
	m.SetCreationTimestamp(o.GetCreationTimestamp())
	m.SetDeletionTimestamp(o.GetDeletionTimestamp())
	m.SetLabels(o.GetLabels())
	m.SetAnnotations(o.GetAnnotations())
	m.SetOwnerReferences(o.GetOwnerReferences())
	m.SetFinalizers(o.GetFinalizers())
	objects.SetTypeMeta(m, kind)
	return m
}
