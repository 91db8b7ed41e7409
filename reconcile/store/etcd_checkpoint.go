package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"
	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
)

// Checkpoints bound the log. Every CheckpointEvery entries (or
// CheckpointBytes of them) the view that appended writes a snapshot of its
// state at that entry (snapshot.go) in parts under ckpt/<seq>/<id>/, then
// in one transaction, if the checkpoint key did not change meanwhile,
// points the checkpoint key at it and deletes the log entries, entry parts
// and checkpoints up to the previous checkpoint: a view less than
// CheckpointEvery entries behind still finds its next entry, one further
// behind (or a new one) loads the checkpoint and applies the log after
// it. Then etcd's own revision history is compacted up to the previous
// checkpoint's revision (unless NoCompact).
type ckptRecord struct {
	Seq uint64   `json:"seq"`
	Rev int64    `json:"rev"` // head's revision at Seq; 0: the record's own
	Ref chunkRef `json:"ref"`
	RV  uint64   `json:"resourceVersion"`
}

// maybeCheckpoint starts a checkpoint when due. The caller holds s.mu, and
// the view is at seq.
func (s *Store) maybeCheckpoint(seq uint64, rev int64, entryBytes int) {
	e := s.etcd
	e.sinceCkpt++
	e.ckptBytes += int64(entryBytes)
	if e.sinceCkpt < e.o.CheckpointEvery && e.ckptBytes < e.o.CheckpointBytes {
		return
	}
	if !e.ckptBusy.CompareAndSwap(false, true) {
		return
	}
	e.sinceCkpt, e.ckptBytes = 0, 0
	txn := s.db.NewTransaction(false) // the state at seq, read after s.mu is released
	e.ckptWG.Add(1)
	go func() {
		defer e.ckptWG.Done()
		defer e.ckptBusy.Store(false)
		defer txn.Discard()
		var buf bytes.Buffer
		rv, err := writeSnapshot(txn, &buf)
		if err == nil {
			err = s.writeCheckpoint(ckptRecord{Seq: seq, Rev: rev, RV: rv}, buf.Bytes())
		}
		if err != nil {
			logf("store on etcd: checkpoint at entry %d: %v (the log keeps growing until the next one)", seq, err)
		}
	}()
}

// writeCheckpoint stores snap as the checkpoint at c.Seq and trims the log
// before the previous one.
func (s *Store) writeCheckpoint(c ckptRecord, snap []byte) error {
	e := s.etcd
	ctx, cancel := e.ctx()
	cur, err := e.cli.Get(ctx, e.key("checkpoint"))
	cancel()
	if err != nil {
		return err
	}
	var prev ckptRecord
	var prevMod int64
	if len(cur.Kvs) == 1 {
		prevMod = cur.Kvs[0].ModRevision
		if err := json.Unmarshal(cur.Kvs[0].Value, &prev); err != nil {
			return fmt.Errorf("corrupt %s: %w", e.key("checkpoint"), err)
		}
		if prev.Seq >= c.Seq {
			return nil // a newer one exists
		}
	}
	prefix := e.key("ckpt/" + seq20(c.Seq) + "/" + uuid.NewString() + "/")
	n, err := s.putChunks(prefix, snap)
	if err != nil {
		return err
	}
	c.Ref = chunkRef{Prefix: prefix, N: n, Len: len(snap)}
	rec, _ := json.Marshal(c)
	trimTo := prev.Seq + 1 // keep the entries after the previous checkpoint
	ctx, cancel = e.ctx()
	resp, err := e.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(e.key("checkpoint")), "=", prevMod)).
		Then(clientv3.OpPut(e.key("checkpoint"), string(rec)),
			clientv3.OpDelete(e.logKey(0), clientv3.WithRange(e.logKey(trimTo))),
			clientv3.OpDelete(e.key("chunk/"), clientv3.WithRange(e.key("chunk/"+seq20(trimTo)))),
			clientv3.OpDelete(e.key("ckpt/"), clientv3.WithRange(e.key("ckpt/"+seq20(c.Seq))))).
		Commit()
	cancel()
	if err != nil || !resp.Succeeded {
		s.dropChunks(prefix)
		return err
	}
	if !e.o.NoCompact && prev.Rev > 0 {
		ctx, cancel = e.ctx()
		defer cancel()
		if _, err := e.cli.Compact(ctx, prev.Rev); err != nil {
			logf("store on etcd: compact etcd's history to revision %d: %v", prev.Rev, err)
		}
	}
	return nil
}

// loadCheckpointKV loads the checkpoint the checkpoint key names.
func (s *Store) loadCheckpointKV(kv *mvccpb.KeyValue) error {
	var c ckptRecord
	if err := json.Unmarshal(kv.Value, &c); err != nil {
		return fmt.Errorf("corrupt %s: %w", kv.Key, err)
	}
	if c.Rev == 0 {
		c.Rev = kv.ModRevision // a restore: written with head
	}
	return s.loadCheckpoint(c)
}

// loadCheckpoint replaces the view's content with checkpoint c (at open,
// to a view that fell behind the whole retained log, or at a restore),
// and every watcher's channel closes. Badger loads it in many
// transactions, so the view's readers wait (etcdLog.loading) until it is
// whole.
func (s *Store) loadCheckpoint(c ckptRecord) error {
	e := s.etcd
	snap, err := e.fetchChunks(c.Ref)
	if err != nil {
		return fmt.Errorf("load the store checkpoint at entry %d: %w", c.Seq, err)
	}
	e.loading.Lock()
	defer e.loading.Unlock()
	if err := s.db.DropAll(); err != nil {
		return fmt.Errorf("load the store checkpoint at entry %d: empty the view: %w", c.Seq, err)
	}
	rv, err := loadSnapshot(s.db, bytes.NewReader(snap), 0, map[string][]byte{string(positionKey): positionBytes(c.Seq, c.Rev)})
	if err != nil {
		return fmt.Errorf("load the store checkpoint at entry %d: %w", c.Seq, err)
	}
	e.seq, e.rev = c.Seq, c.Rev
	s.reloaded(rv)
	return nil
}

// RestoreEtcd replaces the store in etcd (under e.Prefix) with a snapshot
// written by Snapshot: the snapshot becomes a checkpoint and the next log
// entry says "load it", so every running view reloads (their watchers'
// channels close and they list again) and new views start from it; the
// older log is deleted. The restored resourceVersion is the snapshot's
// (or the store's current one, when larger) plus RestoreRVBump, written
// into the checkpoint itself so that views loading it later agree: every
// watch from before is ErrGone. It returns that resourceVersion.
func RestoreEtcd(r io.Reader, cli *clientv3.Client, eo EtcdOptions) (uint64, error) {
	snap, snapRV, err := readSnapshot(r)
	if err != nil {
		return 0, err
	}
	// A view in memory, for the store's current resourceVersion and the
	// log's head (it reads the last checkpoint and the log after it).
	v, err := OpenEtcd("", cli, Options{}, eo)
	if err != nil {
		return 0, fmt.Errorf("restore: read the store in etcd: %w", err)
	}
	defer v.Close()
	return restoreEtcd(snap, snapRV, v)
}

// readSnapshot reads a whole snapshot and checks it (every record and the
// checksum).
func readSnapshot(r io.Reader) ([]byte, uint64, error) {
	snap, err := io.ReadAll(r)
	if err != nil {
		return nil, 0, fmt.Errorf("restore: read the snapshot: %w", err)
	}
	sr, err := newSnapshotReader(bytes.NewReader(snap))
	if err != nil {
		return nil, 0, fmt.Errorf("restore: %w", err)
	}
	for {
		k, _, err := sr.next()
		if err != nil {
			return nil, 0, fmt.Errorf("restore: %w", err)
		}
		if k == nil {
			return snap, sr.rv, nil
		}
	}
}

// ErrRestoreNeedsStop: RestoreRunning on a Badger store.
var ErrRestoreNeedsStop = errors.New("this controller's store is Badger, which restores only into a stopped controller: stop the controller and run `reconcile snapshot restore FILE --data DIR`")

// RestoreRunning replaces the store of a running control plane on etcd
// with the snapshot in r (RestoreEtcd on the store's own client and
// prefix: every server's view reloads) and waits until this view has
// loaded it; it returns the restored resourceVersion. A Badger store
// refuses with ErrRestoreNeedsStop (its files are open in this process).
func (s *Store) RestoreRunning(ctx context.Context, r io.Reader) (uint64, error) {
	if s.etcd == nil {
		return 0, ErrRestoreNeedsStop
	}
	snap, snapRV, err := readSnapshot(r)
	if err != nil {
		return 0, err
	}
	rv, err := restoreEtcd(snap, snapRV, s)
	if err != nil {
		return 0, err
	}
	// The view's follower loads the restore's log entry; poll for it
	// (this happens once per restore, and the follower has no hook).
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.ResourceVersion() < rv {
		select {
		case <-ctx.Done():
			return rv, fmt.Errorf("restored resourceVersion %d; this server has not loaded it yet: %w", rv, ctx.Err())
		case <-tick.C:
		}
	}
	return rv, nil
}

// restoreEtcd writes the snapshot in r as the checkpoint and log entry
// that replace the store v is a view of. The restored resourceVersion is
// the larger of the snapshot's and the store's current one, plus
// RestoreRVBump: past every resourceVersion a client may hold, even when
// the same snapshot is restored twice.
func restoreEtcd(snap []byte, snapRV uint64, v *Store) (uint64, error) {
	e := v.etcd
	for {
		// The view at the log's head: its resourceVersion is the store's,
		// its head revision what the restore's transaction compares.
		ctx, cancel := e.ctx()
		v.mu.Lock()
		err := v.catchUp(ctx)
		head, headRev, cur := e.seq, e.rev, v.rv.Load()
		v.mu.Unlock()
		cancel()
		if err != nil {
			return 0, fmt.Errorf("restore: read the store's log: %w", err)
		}
		rv := max(snapRV, cur) + RestoreRVBump
		data := rebaseSnapshot(snap, snapRV, rv)
		seq := head + 1
		prefix := e.key("ckpt/" + seq20(seq) + "/" + uuid.NewString() + "/")
		n, err := v.putChunks(prefix, data)
		if err != nil {
			return 0, fmt.Errorf("restore: %w", err)
		}
		c := ckptRecord{Seq: seq, Ref: chunkRef{Prefix: prefix, N: n, Len: len(data)}, RV: rv}
		rec, _ := json.Marshal(c)
		ctx, cancel = context.WithTimeout(context.Background(), e.o.RequestTimeout)
		resp, err := e.cli.Txn(ctx).If(clientv3.Compare(clientv3.ModRevision(e.headKey()), "=", headRev)).
			Then(clientv3.OpPut(e.logKey(seq), "R"+string(rec)),
				clientv3.OpPut(e.headKey(), fmt.Sprint(seq)),
				clientv3.OpPut(e.key("checkpoint"), string(rec)),
				clientv3.OpDelete(e.logKey(0), clientv3.WithRange(e.logKey(seq))),
				clientv3.OpDelete(e.key("chunk/"), clientv3.WithRange(e.key("chunk/"+seq20(seq)))),
				clientv3.OpDelete(e.key("ckpt/"), clientv3.WithRange(e.key("ckpt/"+seq20(seq))))).
			Commit()
		cancel()
		if err != nil {
			return 0, fmt.Errorf("restore: %w", err)
		}
		if resp.Succeeded {
			return rv, nil
		}
		v.dropChunks(prefix) // a write came in between: again on the new head
	}
}
