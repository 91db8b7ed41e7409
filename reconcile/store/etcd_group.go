package store

import "errors"

// Group commit on etcd: concurrent Updates are serialised by the view's
// lock anyway, and each append is a raft commit (an fsync on a majority of
// members), so the Updates queued while one is appended are written
// together: run in arrival order in one Badger transaction (each sees the
// writes of those before it, as if they ran one after another) and
// appended as one log entry that every view applies in one Badger
// transaction. Each Update stays all-or-nothing: a function that fails
// after others ran in the batch is taken out and runs first in the next
// batch, alone on the state the others left, so its error is the one it
// would have had on its own; the others run again without it (their
// functions are re-runnable, the rule of updateEtcd). resourceVersions
// are handed out in that order, identically on every view.
//
// One Update at a time writes (it holds etcdLog.writer, then the view's
// lock); the others wait until their Update is decided
// (pendingUpdate.decided) or the token is free. They do not take the
// view's lock to learn that a batch wrote them: the next writer holds
// that lock through its whole append, so an Update decided by one batch
// returned only after the next batch's consensus round too (a median
// 8–10 ms more per Update, more than the append itself, in the
// commit → running benchmark: BENCHMARKS.md, issue 12 round 3).

// maxBatch bounds the Updates of one entry.
const maxBatch = 64

// errRunAlone: a function failed after others in its batch; those before
// it run again without it.
var errRunAlone = errors.New("store: an update in a batch failed: run the ones before it without it")

// pendingUpdate is one Update waiting in the queue.
type pendingUpdate struct {
	st   *Store // the Store it was called on (its fence, if any)
	fn   func(*Tx) error
	done bool
	err  error
	// decided is closed with done set: the Update's caller returns err.
	decided chan struct{}
}

// fenceOf is the fence an Update's append must carry (zero: none).
func fenceOf(s *Store) fence {
	if s.fence == nil {
		return fence{}
	}
	return *s.fence
}

// nextBatch is the longest prefix of the queue, up to maxBatch, whose
// Updates carry the same fence (one append carries one). The caller holds
// e.qmu; the queue is not empty.
func (e *etcdLog) nextBatch() []*pendingUpdate {
	f := fenceOf(e.queue[0].st)
	n := 1
	for n < len(e.queue) && n < maxBatch && fenceOf(e.queue[n].st) == f {
		n++
	}
	return append([]*pendingUpdate(nil), e.queue[:n]...)
}

// finish decides the first n Updates of the queue with err and removes
// them. The caller holds e.qmu.
func (e *etcdLog) finish(n int, err error) {
	for _, p := range e.queue[:n] {
		p.done, p.err = true, err
		close(p.decided)
	}
	e.queue = append(e.queue[:0:0], e.queue[n:]...)
}
