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

// memTableSize is Badger's memtable. It bounds one transaction (15 %:
// about 150,000 objects) and keeps a commit's reads in memory: at 12 MiB a
// one-file commit in a 10,000-object store cost 30 % more CPU (reads from
// SSTables), which the speed contract of issue 8 forbids. Badger allocates
// it (about 1.3 times this) at every flush from Go's heap, and Go zeroes
// reused heap, so once the store has flushed after a large delete the new
// memtable is resident: a fixed cost paid once, not a growth per revision
// (BENCHMARKS.md, "Memory after large objects"). Values over valueThreshold
// go to the value log and take a pointer's room only.
const (
	memTableSize   = 128 << 20
	valueThreshold = 64
)

// MemtableArenaBytes is what one Badger memtable takes in memory: its size
// plus room for the largest batch (Badger: 15 % of it, in bytes and in
// nodes). Once a flush has cut a memtable from heap Go had to zero, that
// much is resident for good: a fixed cost, not a growth.
const MemtableArenaBytes = memTableSize * 13 / 10

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
