package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// catchUp applies the log from the view's position to its head, loading
// the last checkpoint when the log no longer holds the view's next entry.
// The caller holds s.mu.
func (s *Store) catchUp(ctx context.Context) error {
	e := s.etcd
	end := clientv3.GetPrefixRangeEnd(e.key("log/"))
	for {
		r, err := e.cli.Txn(ctx).Then(
			clientv3.OpGet(e.logKey(e.seq+1), clientv3.WithRange(end), clientv3.WithLimit(32)),
			clientv3.OpGet(e.headKey()),
			clientv3.OpGet(e.key("checkpoint")),
		).Commit()
		if err != nil {
			return fmt.Errorf("read the store log: %w", err)
		}
		logs := r.Responses[0].GetResponseRange().Kvs
		var head uint64
		if kvs := r.Responses[1].GetResponseRange().Kvs; len(kvs) == 1 {
			if head, err = strconv.ParseUint(string(kvs[0].Value), 10, 64); err != nil {
				return fmt.Errorf("corrupt %s: %q", e.headKey(), kvs[0].Value)
			}
		}
		var ckpt *mvccpb.KeyValue
		if kvs := r.Responses[2].GetResponseRange().Kvs; len(kvs) == 1 {
			ckpt = kvs[0]
		}
		switch {
		case head == e.seq:
			e.readRev = max(e.readRev, r.Header.Revision)
			return nil
		case head < e.seq:
			// The log restarted below this view (etcd was wiped or
			// restored from an older backup): start over from etcd.
			if err := s.resetView(ckpt); err != nil {
				return err
			}
			continue
		}
		if len(logs) > 0 && seqOfKey(logs[0].Key) == e.seq+1 {
			for _, kv := range logs {
				if seqOfKey(kv.Key) != e.seq+1 {
					break
				}
				err := s.applyLogged(kv)
				if errors.Is(err, errChunksGone) && ckpt != nil {
					err = s.loadCheckpointKV(ckpt)
				}
				if err != nil {
					return err
				}
			}
			continue
		}
		if ckpt == nil {
			return fmt.Errorf("the store log lacks entry %d (head %d) and there is no checkpoint: the data in etcd under %s is damaged; restore a snapshot (store.RestoreEtcd)", e.seq+1, head, e.o.Prefix)
		}
		var c ckptRecord
		if json.Unmarshal(ckpt.Value, &c) == nil && c.Seq <= e.seq {
			return fmt.Errorf("the store log lacks entry %d (head %d) and the checkpoint is older (entry %d): the data in etcd under %s is damaged; restore a snapshot (store.RestoreEtcd)", e.seq+1, head, c.Seq, e.o.Prefix)
		}
		if err := s.loadCheckpointKV(ckpt); err != nil {
			return err
		}
	}
}

func seqOfKey(k []byte) uint64 {
	i := bytes.LastIndexByte(k, '/')
	n, _ := strconv.ParseUint(string(k[i+1:]), 10, 64)
	return n
}

// applyLogged applies one log entry read from etcd. The caller holds s.mu.
func (s *Store) applyLogged(kv *mvccpb.KeyValue) error {
	e := s.etcd
	seq := seqOfKey(kv.Key)
	if seq != e.seq+1 {
		return fmt.Errorf("store log entry %d applied after %d", seq, e.seq)
	}
	if len(kv.Value) == 0 {
		return fmt.Errorf("empty store log entry %d", seq)
	}
	payload := kv.Value[1:]
	switch kv.Value[0] {
	case 'I':
	case 'C':
		var ref chunkRef
		if err := json.Unmarshal(payload, &ref); err != nil {
			return fmt.Errorf("store log entry %d: %w", seq, err)
		}
		var err error
		if payload, err = e.fetchChunks(ref); err != nil {
			return fmt.Errorf("store log entry %d: %w", seq, err)
		}
	case 'R':
		var c ckptRecord
		if err := json.Unmarshal(payload, &c); err != nil {
			return fmt.Errorf("store log entry %d (a restore): %w", seq, err)
		}
		c.Seq, c.Rev = seq, kv.ModRevision
		return s.loadCheckpoint(c)
	default:
		return fmt.Errorf("store log entry %d of unknown type %q (written by a newer reconcile?)", seq, kv.Value[0])
	}
	ops, err := decodeEntry(payload)
	if err != nil {
		return fmt.Errorf("store log entry %d: %w", seq, err)
	}
	return s.applyOps(seq, kv.ModRevision, ops)
}

// applyOps replays one entry's writes in one Badger transaction and
// publishes its events as the writer's Update did: the same keys, values,
// resourceVersions and events on every view.
func (s *Store) applyOps(seq uint64, rev int64, ops []logOp) error {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	tx := &Tx{st: s, txn: txn, rv: s.rv.Load(), written: map[string]bool{}}
	for _, op := range ops {
		if err := tx.replay(op); err != nil {
			return fmt.Errorf("apply store log entry %d: %s: %w", seq, op.key, err)
		}
	}
	if err := txn.Set(positionKey, positionBytes(seq, rev)); err != nil {
		return tx.sizeErr(err)
	}
	if err := commitTxn(txn); err != nil {
		return fmt.Errorf("apply store log entry %d: %w", seq, err)
	}
	s.etcd.seq, s.etcd.rev = seq, rev
	s.committed(tx)
	return nil
}

// replay is one captured write, with the event Tx made of it.
func (tx *Tx) replay(op logOp) error {
	k := op.key
	isObject := bytes.HasPrefix(k, []byte("o/"))
	if bytes.HasPrefix(k, []byte("m/")) {
		tx.metaWritten = true
	}
	if op.del {
		var old objects.Object
		size := int64(1024)
		if op.ev == Deleted && isObject {
			item, err := tx.txn.Get(k)
			if err != nil {
				return fmt.Errorf("delete: %w", err)
			}
			size = item.EstimatedSize()
			if old, err = tx.st.cache.object(item, kindOfKey(k), tx.written, false); err != nil {
				return err
			}
		}
		tx.written[string(k)] = true
		if err := tx.txn.Delete(k); err != nil {
			return tx.sizeErr(err)
		}
		if old == nil {
			return nil
		}
		tx.addGarbage(size)
		if len(op.val) != 8 {
			return errors.New("deletion without its resourceVersion")
		}
		rv := binary.BigEndian.Uint64(op.val)
		old.SetResourceVersion(strconv.FormatUint(rv, 10))
		ev := Event{Type: Deleted, Object: old, ResourceVersion: rv, size: size}
		if size > largeObject {
			ev.Object, ev.size, ev.supersedesLarge = metadataOnly(kindOfKey(k), old), 1024, true
		}
		tx.events = append(tx.events, ev)
		return nil
	}
	tx.written[string(k)] = true
	if err := tx.txn.Set(k, op.val); err != nil {
		return tx.sizeErr(err)
	}
	switch {
	case bytes.Equal(k, rvKey):
		if len(op.val) != 8 {
			return errors.New("corrupt resourceVersion")
		}
		tx.rv = binary.BigEndian.Uint64(op.val)
	case isObject && op.ev != "":
		o, err := decode(kindOfKey(k), op.val)
		if err != nil {
			return err
		}
		rv, err := strconv.ParseUint(o.GetResourceVersion(), 10, 64)
		if err != nil {
			return fmt.Errorf("resourceVersion %q: %w", o.GetResourceVersion(), err)
		}
		if op.ev == Modified {
			tx.addGarbage(int64(len(op.val)))
		}
		tx.events = append(tx.events, Event{Type: op.ev, Object: o, ResourceVersion: rv, size: int64(len(op.val)),
			supersedesLarge: op.ev == Modified && len(op.val) > largeObject})
	}
	return nil
}

// follow applies the log as it grows: an etcd watch on the log prefix
// from the view's revision; after any interruption (compaction, a lost
// member, an entry it cannot apply in order) it catches up by reading the
// log and watches again.
func (s *Store) follow(ctx context.Context) {
	e := s.etcd
	defer close(e.done)
	for ctx.Err() == nil {
		s.mu.Lock()
		from := max(e.rev, e.readRev) + 1
		s.mu.Unlock()
		wctx, wcancel := context.WithCancel(clientv3.WithRequireLeader(ctx))
		wch := e.cli.Watch(wctx, e.key("log/"), clientv3.WithPrefix(), clientv3.WithRev(from))
		err := s.applyWatched(wch)
		wcancel()
		if ctx.Err() != nil {
			return
		}
		cctx, ccancel := context.WithTimeout(ctx, 10*e.o.RequestTimeout)
		s.mu.Lock()
		cerr := s.catchUp(cctx)
		s.mu.Unlock()
		ccancel()
		pause := 100 * time.Millisecond // the watch ended (compaction, a member lost): caught up, watch again
		if cerr != nil {
			pause = time.Second
			// Once per distinct error: a lost quorum fails every second.
			if prev, _ := e.followErr.Swap(cerr.Error()).(string); prev != cerr.Error() {
				logf("store on etcd: following the log: %v (after: %v); retrying every second, reads are served from this server's view meanwhile", cerr, err)
			}
		} else if prev, _ := e.followErr.Swap("").(string); prev != "" {
			logf("store on etcd: following the log again")
		}
		select {
		case <-ctx.Done():
		case <-time.After(pause):
		}
	}
}

// applyWatched applies the entries a watch delivers until it ends or one
// does not follow the view's position.
func (s *Store) applyWatched(wch clientv3.WatchChan) error {
	e := s.etcd
	for resp := range wch {
		if err := resp.Err(); err != nil {
			return err
		}
		for _, ev := range resp.Events {
			if ev.Type != clientv3.EventTypePut || strings.Count(string(ev.Kv.Key[len(e.o.Prefix):]), "/") != 1 {
				continue
			}
			s.mu.Lock()
			var err error
			switch seq := seqOfKey(ev.Kv.Key); {
			case seq <= e.seq: // applied already (this view wrote it)
			case seq == e.seq+1:
				err = s.applyLogged(ev.Kv)
			default:
				err = fmt.Errorf("store log entry %d after %d: catching up", seq, e.seq)
			}
			s.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// resetView empties the view and loads ckpt (nil: the empty store).
func (s *Store) resetView(ckpt *mvccpb.KeyValue) error {
	if ckpt != nil {
		return s.loadCheckpointKV(ckpt)
	}
	if err := s.db.DropAll(); err != nil {
		return fmt.Errorf("empty the store's view: %w", err)
	}
	s.etcd.seq, s.etcd.rev = 0, 0
	s.reloaded(0)
	return nil
}

// reloaded resets what the view keeps beside Badger after its whole
// content was replaced: watchers start over (their channels close).
func (s *Store) reloaded(rv uint64) {
	s.rv.Store(rv)
	s.cache.mu.Lock()
	s.cache.m = nil
	s.cache.mu.Unlock()
	if err := s.counts.load(s.db); err != nil {
		logf("store: count objects after loading a checkpoint: %v", err)
	}
	s.pods.reset()
	s.h.reset(rv)
	s.wakeMeta()
}

// reset drops the history: every watcher's channel closes (its
// resourceVersions may no longer mean what they did) and watches start
// from rv.
func (h *history) reset(rv uint64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events, h.bytes, h.dead, h.deadBytes = nil, 0, 0, 0
	h.floor = rv
	h.gen++
	if !h.closed {
		close(h.wake)
		h.wake = make(chan struct{})
	}
}
