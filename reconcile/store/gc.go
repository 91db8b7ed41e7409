package store

import (
	"errors"
	"runtime/debug"
	"time"

	badger "github.com/dgraph-io/badger/v4"
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
	// bigWrite is how many bytes of overwritten or deleted values make a
	// commit trigger a GC at once.
	bigWrite = 4 << 20
	// valueLogFileSize keeps value-log files small: Badger never collects
	// the file being written, so its size bounds what one object's old
	// revisions can hold on disk.
	valueLogFileSize = 2 << 20
)

// gcLoop runs the value-log GC every interval and when kicked, until done
// is closed.
func (s *Store) gcLoop(interval time.Duration) {
	defer close(s.gcStopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.gcDone:
			return
		case <-t.C:
		case <-s.gcKick:
		}
		s.CollectGarbage()
	}
}

// CollectGarbage reclaims old revisions, then gives freed memory back to
// the OS. Safe to call at any time; the store calls it by itself.
//
// Badger learns which value-log bytes are garbage only when a compaction
// of its LSM tree drops the old versions (NumVersionsToKeep is 1), and a
// memtable holding a few keys' pointers may never fill and flush. So after
// overwrites or deletes the store first flushes the memtable (a drop
// of a marker key's prefix, the one public way) and compacts the tree
// (Flatten), then rewrites every value-log file at least half garbage.
func (s *Store) CollectGarbage() {
	if s.garbage.Swap(0) > 0 {
		if err := s.flushAndCompact(); err != nil {
			s.gcErr.Store(err.Error())
		}
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
// memtable (DropPrefix flushes only when the prefix exists).
var gcMarker = []byte("g/flush")

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

// kickGC asks the GC loop to run soon; never blocks.
func (s *Store) kickGC() {
	select {
	case s.gcKick <- struct{}{}:
	default:
	}
}
