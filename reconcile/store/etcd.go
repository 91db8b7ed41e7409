package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// The store on etcd (docs/internals.md, "The store on etcd"): etcd holds
// the durable, ordered log of the store's transactions; this process's
// Badger database is a view applied from that log in order, one Badger
// transaction per entry. Keys under EtcdOptions.Prefix:
//
//	head                     the last entry's sequence number (decimal)
//	log/<seq, 20 digits>     one entry: 'I' + encodeEntry, 'C' + chunk
//	                         reference, or 'R' + checkpoint reference
//	chunk/<seq>/<id>/<i>     the parts of an entry too large for one request
//	checkpoint               the last checkpoint (ckptRecord, JSON)
//	ckpt/<seq>/<id>/<i>      the parts of a checkpoint: a snapshot (snapshot.go)
//
// An entry becomes part of the log only by the one small transaction that
// puts log/<seq> and head, on the condition that head is still at the
// revision this view applied: so entries are totally ordered, and an
// entry's chunks, written before, are invisible until then.

// EtcdOptions tune the etcd engine. The zero value is the default.
type EtcdOptions struct {
	// Prefix of every key the store writes; "/reconcile/" when empty.
	Prefix string
	// ChunkBytes is the largest value one request writes (an entry larger
	// than that is written in parts); 1 MiB when zero, under etcd's
	// default request limit of 1.5 MiB.
	ChunkBytes int
	// CheckpointEvery is how many entries pass between two checkpoints of
	// the whole state (etcd_checkpoint.go); 1,000 when zero.
	CheckpointEvery int
	// CheckpointBytes: a checkpoint is also written after this many bytes
	// of entries; 64 MiB when zero.
	CheckpointBytes int64
	// RequestTimeout bounds one etcd request; 30 s when zero.
	RequestTimeout time.Duration
	// NoCompact: do not compact etcd's revision history after a
	// checkpoint (an operator compacts it, or etcd's auto-compaction).
	NoCompact bool

	// failpoint (tests): called at named points of an append; an error
	// stops the append there, as if the writer died at that point.
	failpoint func(point string) error
}

func (o EtcdOptions) withDefaults() EtcdOptions {
	if o.Prefix == "" {
		o.Prefix = "/reconcile/"
	}
	if o.ChunkBytes <= 0 {
		o.ChunkBytes = 1 << 20
	}
	if o.CheckpointEvery <= 0 {
		o.CheckpointEvery = 1000
	}
	if o.CheckpointBytes <= 0 {
		o.CheckpointBytes = 64 << 20
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = 30 * time.Second
	}
	return o
}

// ErrFenced: the write was refused because this server no longer holds the
// election key its store was fenced with (Store.Fenced).
var ErrFenced = errors.New("this server is no longer the leader (its election key is gone or belongs to a newer election): the write was refused, nothing was written; the new leader writes instead")

// errHeadMoved: another view appended first; catch up and run fn again.
var errHeadMoved = errors.New("store log head moved")

// etcdLog is the etcd side of a store on etcd.
type etcdLog struct {
	cli *clientv3.Client
	o   EtcdOptions
	// loading is held for writing while a checkpoint replaces the view's
	// content (loadCheckpoint) and for reading by every read of the view
	// (Store.view), so a reader sees the view before the load or after
	// it, never part-loaded.
	loading sync.RWMutex
	// Guarded by core.mu: the last applied entry and the etcd revision
	// of head at it (what the next append compares against).
	seq uint64
	rev int64
	// readRev is the etcd revision of the last catch-up read: the log
	// up to it is applied, so the follower's watch starts after it.
	readRev int64
	// sinceCkpt counts entries, ckptBytes bytes, this view appended since
	// it last saw a checkpoint (etcd_checkpoint.go).
	sinceCkpt int
	ckptBytes int64
	ckptBusy  atomic.Bool
	ckptWG    sync.WaitGroup // checkpoints being written (Close waits)
	cancel    context.CancelFunc
	done      chan struct{}
	followErr atomic.Value // string: the follower's last error
	// The Updates waiting to be written (etcd_group.go), guarded by qmu;
	// writer holds a token while an Update writes a batch of them.
	qmu    sync.Mutex
	queue  []*pendingUpdate
	writer chan struct{}
}

func (e *etcdLog) key(s string) string      { return e.o.Prefix + s }
func (e *etcdLog) headKey() string          { return e.key("head") }
func (e *etcdLog) logKey(seq uint64) string { return e.key("log/" + seq20(seq)) }
func seq20(seq uint64) string               { return fmt.Sprintf("%020d", seq) }
func (e *etcdLog) ctx() (context.Context, context.CancelFunc) {
	// Require-leader: a member without a leader refuses at once rather
	// than after RequestTimeout (etcd_quorum.go).
	ctx, cancel := context.WithTimeout(context.Background(), e.o.RequestTimeout)
	return clientv3.WithRequireLeader(ctx), cancel
}

// positionKey holds, in the view, the entry it applied and head's revision
// then (two big-endian uint64s), so an on-disk view resumes from there.
var positionKey = []byte("s/etcd")

// OpenEtcd opens the store on etcd through cli: dir ("" for memory) holds
// this server's view of the log, a cache that OpenEtcd brings up to the
// log's head before it returns. The view then follows the log.
func OpenEtcd(dir string, cli *clientv3.Client, o Options, eo EtcdOptions) (*Store, error) {
	if cli == nil {
		return nil, errors.New("open the store on etcd: no etcd client")
	}
	st, err := OpenWith(dir, o)
	if err != nil {
		return nil, err
	}
	e := &etcdLog{cli: cli, o: eo.withDefaults(), done: make(chan struct{}), writer: make(chan struct{}, 1)}
	st.etcd = e
	var known bool
	if e.seq, e.rev, known, err = readPosition(st); err != nil {
		st.closeView()
		return nil, fmt.Errorf("open the store on etcd: read the view's position in %s: %w", dir, err)
	}
	if !known && st.ResourceVersion() > 0 {
		// A Badger store of its own (--store badger before): applying
		// the log on top of it would mix two stores.
		st.closeView()
		return nil, fmt.Errorf("open the store on etcd: %s holds a Badger store that is not a view of etcd: move it away (to move its objects into etcd: store.Snapshot it and restore the snapshot with RestoreEtcd)", dir)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*e.o.RequestTimeout)
	st.mu.Lock()
	err = st.catchUp(ctx)
	st.mu.Unlock()
	cancel()
	if err != nil {
		st.closeView()
		return nil, fmt.Errorf("open the store on etcd (prefix %s): %w", e.o.Prefix, err)
	}
	fctx, fcancel := context.WithCancel(context.Background())
	e.cancel = fcancel
	go st.follow(fctx)
	return st, nil
}

// closeView closes a view whose follower never started.
func (s *Store) closeView() {
	e := s.etcd
	s.etcd = nil
	s.Close()
	s.etcd = e
}

func readPosition(s *Store) (uint64, int64, bool, error) {
	txn := s.db.NewTransaction(false)
	defer txn.Discard()
	item, err := txn.Get(positionKey)
	if err != nil {
		return 0, 0, false, nil // a new view
	}
	var seq uint64
	var rev int64
	err = item.Value(func(v []byte) error {
		if len(v) != 16 {
			return fmt.Errorf("corrupt position record (%d bytes)", len(v))
		}
		seq, rev = binary.BigEndian.Uint64(v), int64(binary.BigEndian.Uint64(v[8:]))
		return nil
	})
	return seq, rev, true, err
}

func positionBytes(seq uint64, rev int64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, seq)
	binary.BigEndian.PutUint64(b[8:], uint64(rev))
	return b
}

// Engine names the store's engine: "badger" or "etcd".
func (s *Store) Engine() string {
	if s.etcd != nil {
		return "etcd"
	}
	return "badger"
}

// updateEtcd is Update on etcd: fn runs against the view at its head, in
// a Badger transaction that captures its writes; the writes are appended
// to the log as one entry; then the same Badger transaction commits, so
// the view applied its own entry when Update returns. When another view
// appended first, this view catches up and fn runs again: fn must be safe
// to re-run. The store undoes what it did to the objects fn passed it
// (uid, resourceVersion, generation, creationTimestamp); fn must read
// what it decides on through tx and reset, at its start, any variable
// outside it that it sets (results, counters, error lists).
//
// Group commit (etcd_group.go): Updates that arrive while another is
// being appended wait in a queue; the next writer runs all of them, in
// arrival order, in one Badger transaction and appends them as one entry:
// one etcd round trip (a raft commit, an fsync on a majority) for many
// transactions.
func (s *Store) updateEtcd(fn func(tx *Tx) error) error {
	e := s.etcd
	p := &pendingUpdate{st: s, fn: fn, decided: make(chan struct{})}
	e.qmu.Lock()
	e.queue = append(e.queue, p)
	e.qmu.Unlock()
	for {
		// Decided by another writer's batch, or this one's turn to
		// write: an Update written by someone else returns at once,
		// without waiting for the view's lock, which the next writer
		// holds for its whole append (etcd_group.go).
		select {
		case <-p.decided:
			return p.err
		case e.writer <- struct{}{}:
		}
		s.mu.Lock()
		e.qmu.Lock()
		if p.done {
			e.qmu.Unlock()
			s.mu.Unlock()
			<-e.writer
			return p.err
		}
		batch := e.nextBatch()
		e.qmu.Unlock()
		n, err := s.writeBatch(batch)
		e.qmu.Lock()
		e.finish(n, err)
		e.qmu.Unlock()
		s.mu.Unlock()
		<-e.writer
	}
}

// writeBatch runs and appends batch (a prefix of the queue) and returns
// how many of its Updates are decided (a prefix of it) and their error.
// The caller holds s.mu.
func (s *Store) writeBatch(batch []*pendingUpdate) (int, error) {
	e := s.etcd
	for {
		n, err := s.tryBatch(batch)
		switch {
		case errors.Is(err, errRunAlone):
			batch = batch[:n]
		case errors.Is(err, errHeadMoved):
			ctx, cancel := context.WithTimeout(context.Background(), 10*e.o.RequestTimeout)
			err = s.catchUp(ctx)
			cancel()
			if err != nil {
				return len(batch), fmt.Errorf("store on etcd: catch up with another server's write: %w", err)
			}
		default:
			return n, err
		}
	}
}

// tryBatch runs batch's functions in order in one Badger transaction and
// appends their writes as one entry. It returns how many Updates it
// decided and their error, or errRunAlone with the index of the function
// that failed after others ran (they go again without it; it runs first
// in the next batch, so its error is the one it has on its own), or
// errHeadMoved (catch up and try again). The caller holds s.mu.
func (s *Store) tryBatch(batch []*pendingUpdate) (int, error) {
	e := s.etcd
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	var ops []logOp
	tx := &Tx{st: batch[0].st, txn: txn, rv: s.rv.Load(), written: map[string]bool{}, ops: &ops}
	for i, p := range batch {
		if err := p.fn(tx); err != nil {
			if i > 0 {
				tx.undoArgs()
				return i, errRunAlone
			}
			// fn may have failed only because this view is behind (an
			// object another server just created): then catch up and
			// run it again. Its successes are checked by the append.
			if s.behindHead() {
				tx.undoArgs()
				return 0, errHeadMoved
			}
			return 1, err
		}
	}
	if err := tx.setRV(); err != nil {
		if len(batch) > 1 {
			tx.undoArgs()
			return len(batch) - 1, errRunAlone
		}
		return 1, err
	}
	if len(ops) == 0 {
		return len(batch), nil // nothing written: no entry
	}
	seq := e.seq + 1
	data := encodeEntry(ops)
	rev, err := batch[0].st.appendEntry(seq, data)
	if errors.Is(err, errHeadMoved) {
		tx.undoArgs()
		return 0, err
	}
	if err != nil {
		return len(batch), err
	}
	if err := txn.Set(positionKey, positionBytes(seq, rev)); err != nil {
		return len(batch), tx.sizeErr(err)
	}
	if err := commitTxn(txn); err != nil {
		// The entry is in the log but this view could not apply it:
		// the follower must not skip it, so the view stays at seq-1
		// and re-applies it from the log.
		return len(batch), fmt.Errorf("store on etcd: the entry %d was appended but the local view failed to apply it (it retries from the log): %w", seq, err)
	}
	e.seq, e.rev = seq, rev
	s.committed(tx)
	s.maybeCheckpoint(seq, rev, len(data))
	return len(batch), nil
}

// appendEntry makes data the log's entry seq: in parts first when it is
// too large for one request, then by the one small transaction. It
// returns the etcd revision of that transaction. On a lost response it
// reads log/<seq> back: the entry is this one's exactly when the bytes
// match (a chunk reference names a fresh id).
func (s *Store) appendEntry(seq uint64, data []byte) (int64, error) {
	e := s.etcd
	val := append([]byte{'I'}, data...)
	var chunkPrefix string
	if len(val) > e.o.ChunkBytes {
		id := uuid.NewString()
		chunkPrefix = e.key("chunk/" + seq20(seq) + "/" + id + "/")
		n, err := s.putChunks(chunkPrefix, data)
		if err != nil {
			return 0, err
		}
		val = append([]byte{'C'}, chunkRef{Prefix: chunkPrefix, N: n, Len: len(data)}.encode()...)
	}
	if err := e.fail("commit"); err != nil {
		return 0, err
	}
	cmps := []clientv3.Cmp{clientv3.Compare(clientv3.ModRevision(e.headKey()), "=", e.rev)}
	var orElse []clientv3.Op
	if s.fence != nil {
		cmps = append(cmps, clientv3.Compare(clientv3.CreateRevision(s.fence.key), "=", s.fence.rev))
		orElse = append(orElse, clientv3.OpGet(s.fence.key))
	}
	ctx, cancel := e.ctx()
	resp, err := e.cli.Txn(ctx).If(cmps...).
		Then(clientv3.OpPut(e.logKey(seq), string(val)), clientv3.OpPut(e.headKey(), strconv.FormatUint(seq, 10))).
		Else(orElse...).Commit()
	cancel()
	if err != nil && noLeader(err) {
		s.dropChunks(chunkPrefix)
		return 0, noQuorum(fmt.Errorf("store on etcd: append entry %d: %w (nothing was written)", seq, err))
	}
	if err != nil {
		rev, err := s.appendOutcome(seq, val, chunkPrefix, err)
		return rev, noQuorum(err)
	}
	if err := e.fail("after-commit"); err != nil {
		return 0, err
	}
	if !resp.Succeeded {
		s.dropChunks(chunkPrefix)
		if s.fence != nil {
			kvs := resp.Responses[0].GetResponseRange().Kvs
			if len(kvs) == 0 || kvs[0].CreateRevision != s.fence.rev {
				return 0, fmt.Errorf("%w (election key %s)", ErrFenced, s.fence.key)
			}
		}
		return 0, errHeadMoved
	}
	return resp.Header.Revision, nil
}

// appendOutcome decides an append whose response was lost.
func (s *Store) appendOutcome(seq uint64, val []byte, chunkPrefix string, cause error) (int64, error) {
	e := s.etcd
	// Twice: without a quorum every read times out too, and the caller
	// should hear so within a few RequestTimeouts.
	for try := 0; try < 2; try++ {
		ctx, cancel := e.ctx()
		r, err := e.cli.Get(ctx, e.logKey(seq))
		cancel()
		if err != nil {
			time.Sleep(time.Second)
			continue
		}
		if len(r.Kvs) == 1 && bytes.Equal(r.Kvs[0].Value, val) {
			return r.Kvs[0].ModRevision, nil
		}
		s.dropChunks(chunkPrefix)
		if len(r.Kvs) == 1 {
			return 0, errHeadMoved
		}
		return 0, fmt.Errorf("store on etcd: append entry %d: %w (nothing was written)", seq, cause)
	}
	return 0, fmt.Errorf("store on etcd: append entry %d: %w; etcd did not answer (has it lost its quorum? `etcdctl endpoint status` on its members); whether the entry was written is unknown, this server's view applies it if it was", seq, cause)
}

func (e *etcdLog) fail(point string) error {
	if e.o.failpoint != nil {
		return e.o.failpoint(point)
	}
	return nil
}

// stopFollowing stops the follower and waits for checkpoints in flight
// (Close; nothing on Badger).
func (s *Store) stopFollowing() {
	e := s.etcd
	if e == nil {
		return
	}
	if e.cancel != nil {
		e.cancel()
		<-e.done
	}
	e.ckptWG.Wait()
}

// behindHead reports whether another view appended after this one's
// position (false when etcd cannot tell). The caller holds s.mu.
func (s *Store) behindHead() bool {
	e := s.etcd
	ctx, cancel := e.ctx()
	defer cancel()
	r, err := e.cli.Get(ctx, e.headKey())
	if err != nil {
		return false
	}
	var mod int64
	if len(r.Kvs) == 1 {
		mod = r.Kvs[0].ModRevision
	}
	return mod != e.rev
}
