package apiserver

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Pod status writes are committed in groups (group commit): while one
// transaction commits, the writes that arrive queue, and the next
// transaction takes all of them, up to maxStatusBatch. Thousands of agents
// reporting Running then cost a few hundred transactions a second instead
// of thousands of serialised ones (each a commit the controllers' writes
// wait behind). Each write keeps its own answer: ok, NotFound (no such pod,
// or another pod of the same name now), or the error of its own
// transaction when a batch fails as a whole (it is retried in halves). A
// batch is one ordinary Store.Update, so the store stays generic.
const (
	// maxStatusBatch bounds one transaction: 128 pods, about 400 KB (a
	// Badger transaction is bounded by its memtable; etcd's default
	// --max-txn-ops is 128).
	maxStatusBatch = 128
	// maxStatusQueued bounds the writes waiting for a transaction; beyond
	// it a write is answered 429 TooManyRequests (the agent retries at its
	// next sync), as Kubernetes' API priority and fairness does.
	maxStatusQueued = 20000
)

// statusWrite is one agent's report of one pod's status.
type statusWrite struct {
	key    objects.Key
	uid    string
	status corev1.PodStatus
	done   chan error // buffered: the committer never waits for the handler
}

// statusBatcher queues status writes and commits them in groups. No
// goroutine runs while the queue is empty.
type statusBatcher struct {
	st         updater
	max        int // writes per transaction (maxStatusBatch; 1 = no grouping, for comparison)
	mu         sync.Mutex
	queue      []*statusWrite
	committing bool
	// queued counts the writes ever queued; batches and writes the
	// transactions and writes committed (tests, benchmarks).
	queued, batches, writes int
}

// updater is the store's Update (tests make transactions fail).
type updater interface {
	Update(func(tx *store.Tx) error) error
}

// write queues w and waits for its answer.
func (b *statusBatcher) write(ctx context.Context, w *statusWrite) error {
	w.done = make(chan error, 1)
	b.mu.Lock()
	if len(b.queue) >= maxStatusQueued {
		b.mu.Unlock()
		return apierrors.New(apierrors.ReasonTooManyRequests, "%d pod status writes are waiting for the store: retry in a second", maxStatusQueued)
	}
	b.queue = append(b.queue, w)
	b.queued++
	if !b.committing {
		b.committing = true
		go b.commitLoop()
	}
	b.mu.Unlock()
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		return ctx.Err() // it may still be written: the agent reads the pod back at its next sync
	}
}

// commitLoop commits batches until the queue is empty.
func (b *statusBatcher) commitLoop() {
	for {
		b.mu.Lock()
		batch := b.take()
		if len(batch) == 0 {
			b.committing = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		b.commit(batch)
	}
}

// take removes the next batch from the queue: at most maxStatusBatch
// writes, one per pod (a second write of a pod waits for the next batch,
// so it applies over the first). b.mu is held.
func (b *statusBatcher) take() []*statusWrite {
	var batch, rest []*statusWrite
	seen := map[objects.Key]bool{}
	for _, w := range b.queue {
		if len(batch) < max(b.max, 1) && !seen[w.key] {
			seen[w.key] = true
			batch = append(batch, w)
			continue
		}
		rest = append(rest, w)
	}
	b.queue = rest
	return batch
}

// commit writes batch in one transaction and answers each write; a
// transaction that fails as a whole is retried in halves, down to one
// write, whose answer is then its own transaction's error.
func (b *statusBatcher) commit(batch []*statusWrite) {
	answers := make([]error, len(batch))
	err := b.st.Update(func(tx *store.Tx) error {
		for i, w := range batch {
			stored, err := b.pod(tx, w)
			if err != nil {
				answers[i] = err // this write's own answer; the others go on
				continue
			}
			stored.Status = store.MergeAgentPodStatus(stored.Status, w.status)
			if err := tx.UpdateStatus(stored); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		half := len(batch) / 2
		b.commit(batch[:half])
		b.commit(batch[half:])
		return
	}
	if err == nil {
		b.mu.Lock()
		b.batches++
		b.writes += len(batch)
		b.mu.Unlock()
	}
	for i, w := range batch {
		if err != nil {
			answers[i] = err
		}
		w.done <- answers[i]
	}
}

// pod reads the pod w is about, NotFound when it is gone or replaced (the
// uid check keeps a late report about a deleted pod from landing on a new
// pod of the same name).
func (b *statusBatcher) pod(tx *store.Tx, w *statusWrite) (*corev1.Pod, error) {
	cur, err := tx.Get(w.key)
	if err != nil {
		return nil, err
	}
	stored, ok := cur.(*corev1.Pod)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a pod", store.ErrNotFound, w.key)
	}
	if w.uid != "" && string(stored.UID) != w.uid {
		return nil, fmt.Errorf("%w: pod %s has uid %s, the request is for uid %s", store.ErrNotFound, w.key, stored.UID, w.uid)
	}
	return stored, nil // tx.Get's copy: ours to change
}

// statuses is the server's pod status batcher.
func (s *Server) statuses() *statusBatcher {
	s.statusOnce.Do(func() { s.status = &statusBatcher{st: s.Store, max: maxStatusBatch} })
	return s.status
}

// SetStatusBatch sets how many pod status writes one transaction may
// take (default 128; 1 commits each alone): for benchmarks comparing the
// two.
func (s *Server) SetStatusBatch(n int) {
	b := s.statuses()
	b.mu.Lock()
	defer b.mu.Unlock()
	b.max = n
}

// StatusWrites reports the pod status writes committed so far and the
// transactions they took (group commit's effect; benchmarks).
func (s *Server) StatusWrites() (writes, transactions int) {
	b := s.statuses()
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.writes, b.batches
}
