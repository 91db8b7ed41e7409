package apiserver

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// poisoned fails every transaction that writes the status of pod
// "poison": a whole batch fails, as a too large or conflicting
// transaction would.
type poisoned struct{ st *store.Store }

func (p poisoned) Update(fn func(tx *store.Tx) error) error {
	return p.st.Update(func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		o, err := tx.Get(objects.Key{Kind: "Pod", Namespace: "default", Name: "poison"})
		if err == nil && o.(*corev1.Pod).Status.Phase == corev1.PodRunning {
			return errors.New("this transaction cannot commit")
		}
		return nil
	})
}

// TestStatusWritesAreCommittedInGroups: 300 status writes queued while
// the store is busy are committed in a few transactions, each with its own
// answer: written, NotFound for a missing pod and for another uid, and the
// error of its own transaction for the one write that makes a transaction
// fail (its batch is retried in halves without it). Two writes of one pod
// apply in order.
func TestStatusWritesAreCommittedInGroups(t *testing.T) {
	st := openStore(t)
	var uids []string
	if err := st.Update(func(tx *store.Tx) error {
		for i := range 300 {
			p := pod(fmt.Sprintf("p%03d", i), "a")
			if err := tx.Create(p); err != nil {
				return err
			}
			uids = append(uids, string(p.UID))
		}
		return tx.Create(pod("poison", "a"))
	}); err != nil {
		t.Fatal(err)
	}
	b := (&Server{Store: st}).statuses() // the server's defaults
	b.st = poisoned{st}
	running := corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.244.0.9"}
	type call struct {
		w    *statusWrite
		want string // "" = written
	}
	key := func(name string) objects.Key { return objects.Key{Kind: "Pod", Namespace: "default", Name: name} }
	var calls []call
	for i := range 300 {
		calls = append(calls, call{w: &statusWrite{key: key(fmt.Sprintf("p%03d", i)), uid: uids[i], status: running}})
	}
	calls = append(calls,
		call{&statusWrite{key: key("missing"), status: running}, "NotFound"},
		call{&statusWrite{key: key("p007"), uid: "another-uid", status: running}, "NotFound"},
		call{&statusWrite{key: key("poison"), status: running}, "this transaction cannot commit"},
		call{&statusWrite{key: key("p001"), uid: uids[1], status: corev1.PodStatus{Phase: corev1.PodSucceeded}}, ""}, // after p001's first
	)
	// Hold the store's writer while the writes queue.
	release, held := make(chan struct{}), make(chan struct{})
	go st.Update(func(*store.Tx) error { close(held); <-release; return nil })
	<-held
	var once sync.Once
	defer once.Do(func() { close(release) })
	answers := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = b.write(context.Background(), c.w)
		}()
		if i == len(calls)-2 { // the second write of p001 queues after the first
			testkit.Eventually(t, 30*time.Second, "the writes to queue", func() error {
				b.mu.Lock()
				defer b.mu.Unlock()
				if b.queued < len(calls)-1 {
					return fmt.Errorf("%d queued", b.queued)
				}
				return nil
			})
		}
	}
	once.Do(func() { close(release) })
	wg.Wait()
	for i, c := range calls {
		switch {
		case c.want == "" && answers[i] != nil:
			t.Errorf("write %s: %v, want ok", c.w.key, answers[i])
		case c.want == "NotFound" && !errors.Is(answers[i], store.ErrNotFound):
			t.Errorf("write %s uid %q: %v, want NotFound", c.w.key, c.w.uid, answers[i])
		case c.want != "" && c.want != "NotFound" && (answers[i] == nil || answers[i].Error() != c.want):
			t.Errorf("write %s: %v, want %q", c.w.key, answers[i], c.want)
		}
	}
	for i := range 300 {
		o, err := st.Get(key(fmt.Sprintf("p%03d", i)))
		if err != nil {
			t.Fatal(err)
		}
		want := corev1.PodRunning
		if i == 1 {
			want = corev1.PodSucceeded
		}
		if got := o.(*corev1.Pod).Status.Phase; got != want {
			t.Errorf("pod p%03d: phase %s, want %s", i, got, want)
		}
	}
	// 304 writes: the first alone (it started the committer), the rest
	// in batches of at most 128 with the poisoned one split off (about
	// log2(128) more transactions), then p001's second write.
	if b.batches > 20 {
		t.Errorf("%d writes took %d transactions, want a few", b.writes, b.batches)
	}
	t.Logf("%d writes in %d transactions", b.writes, b.batches)
}
