package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/store/etcdtest"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The conformance suite is every test that runs eachBackend: Badger on
// disk, in memory, and the etcd engine (a view in memory on a real etcd
// member started in this process). This file holds the etcd member shared
// by the package's tests and the tests only the etcd engine has: several
// views of one log, fencing, checkpoints, and a writer dying mid-commit.

var sharedEtcd struct {
	once sync.Once
	dir  string
	c    *etcdtest.Cluster
	cli  *clientv3.Client
	err  error
}

// etcdClient is a client of the package's etcd member, started on first use.
func etcdClient(t testing.TB) *clientv3.Client {
	t.Helper()
	sharedEtcd.once.Do(func() {
		sharedEtcd.dir, sharedEtcd.err = os.MkdirTemp("", "store-etcd-")
		if sharedEtcd.err != nil {
			return
		}
		if sharedEtcd.c, sharedEtcd.err = etcdtest.Start(sharedEtcd.dir, 1); sharedEtcd.err != nil {
			return
		}
		sharedEtcd.cli, sharedEtcd.err = clientv3.New(clientv3.Config{Endpoints: sharedEtcd.c.Endpoints(), DialTimeout: 10 * time.Second})
	})
	if sharedEtcd.err != nil {
		t.Fatalf("start the test's etcd member: %v", sharedEtcd.err)
	}
	return sharedEtcd.cli
}

func stopSharedEtcd() {
	if sharedEtcd.cli != nil {
		sharedEtcd.cli.Close()
	}
	if sharedEtcd.c != nil {
		sharedEtcd.c.Stop()
	}
	if sharedEtcd.dir != "" {
		os.RemoveAll(sharedEtcd.dir)
	}
}

var prefixes atomic.Int64

// newPrefix is a key prefix no other test uses.
func newPrefix(t testing.TB) string {
	name := strings.NewReplacer("/", "_", " ", "_").Replace(t.Name())
	return fmt.Sprintf("/test/%s-%d/", name, prefixes.Add(1))
}

// openEtcdView opens a view (in dir, "" for memory) of the log under
// prefix, closed at the end of the test.
func openEtcdView(t testing.TB, dir, prefix string, eo ...EtcdOptions) *Store {
	t.Helper()
	o := EtcdOptions{Prefix: prefix}
	if len(eo) > 0 {
		o = eo[0]
		o.Prefix = prefix
	}
	st, err := OpenEtcd(dir, etcdClient(t), Options{}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// caughtUp waits until every view is at want's resourceVersion.
func caughtUp(t testing.TB, want *Store, views ...*Store) {
	t.Helper()
	testkit.Eventually(t, time.Minute, "views at the writer's resourceVersion", func() error {
		for i, v := range views {
			if v.ResourceVersion() != want.ResourceVersion() {
				return fmt.Errorf("view %d at %d, want %d", i, v.ResourceVersion(), want.ResourceVersion())
			}
		}
		return nil
	})
}

// dump is everything a view serves, as JSON, for comparisons.
func dump(t testing.TB, st *Store) string {
	t.Helper()
	objs, rv, err := st.List("", "")
	if err != nil {
		t.Fatal(err)
	}
	meta, err := st.ListMeta("")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(map[string]any{"rv": rv, "objects": objs, "meta": meta, "counts": st.Counts()}, "", " ")
	return string(b)
}

func eventLine(ev Event) string {
	b, _ := json.Marshal(ev.Object)
	return fmt.Sprintf("%s %d %s", ev.Type, ev.ResourceVersion, b)
}

// Two servers' views of one log serve the same objects, resourceVersions
// and watch events, whichever of them wrote.
func TestEtcdViewsAgree(t *testing.T) {
	prefix := newPrefix(t)
	a := openEtcdView(t, "", prefix)
	b := openEtcdView(t, t.TempDir(), prefix) // one in memory, one on disk
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	wa, err := a.Watch(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	wb, err := b.Watch(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	cm := configMap("default", "cfg", map[string]string{"k": "v1"})
	create(t, a, cm, deployment("default", "web", 1))
	cm.Data["k"] = "v2"
	update(t, b, cm, false) // b writes after a: its view caught up first
	err = a.Update(func(tx *Tx) error {
		if err := tx.PutMeta("source/main", map[string]string{"commit": "abc"}); err != nil {
			return err
		}
		return tx.Delete(objects.KeyOf(deployment("default", "web", 1)))
	})
	if err != nil {
		t.Fatal(err)
	}
	caughtUp(t, a, b)
	if da, db := dump(t, a), dump(t, b); da != db {
		t.Fatalf("views differ:\na: %s\nb: %s", da, db)
	}
	ea, eb := collect(t, wa, 4), collect(t, wb, 4)
	for i := range ea {
		if la, lb := eventLine(ea[i]), eventLine(eb[i]); la != lb {
			t.Errorf("event %d differs:\na: %s\nb: %s", i, la, lb)
		}
	}
	if got := ea[3].Type; got != Deleted {
		t.Errorf("last event %s, want DELETED", got)
	}
	// A client that watched a from rv 2 resumes on b from there.
	wb2, err := b.Watch(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if evs := collect(t, wb2, 2); evs[0].ResourceVersion != 3 || evs[1].ResourceVersion != 4 {
		t.Errorf("resumed watch: %s, %s", eventLine(evs[0]), eventLine(evs[1]))
	}
}

// Writers on two views that read, modify and write one object: every
// increment counts once (the loser of a race catches up and re-runs fn).
func TestEtcdConcurrentWritersOnTwoViews(t *testing.T) {
	prefix := newPrefix(t)
	a, b := openEtcdView(t, "", prefix), openEtcdView(t, "", prefix)
	create(t, a, configMap("default", "counter", map[string]string{"n": "0"}))
	caughtUp(t, a, b)
	const each = 20
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	for _, st := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := st.Update(func(tx *Tx) error {
					o, err := tx.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "counter"})
					if err != nil {
						return err
					}
					c := o.(*corev1.ConfigMap)
					var n int
					fmt.Sscan(c.Data["n"], &n)
					c.Data["n"] = fmt.Sprint(n + 1)
					return tx.Update(c)
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	caughtUp(t, a, b)
	got := mustGet(t, b, configMap("default", "counter", nil)).(*corev1.ConfigMap)
	if got.Data["n"] != fmt.Sprint(2*each) {
		t.Fatalf("counter = %s, want %d", got.Data["n"], 2*each)
	}
	if a.ResourceVersion() != 1+2*each {
		t.Errorf("rv = %d, want %d", a.ResourceVersion(), 1+2*each)
	}
}

// A fenced view writes while its election key lives and is refused,
// writing nothing, once the key is gone.
func TestEtcdFencedViewStopsWritingWhenItsKeyIsGone(t *testing.T) {
	prefix := newPrefix(t)
	st := openEtcdView(t, "", prefix)
	cli := etcdClient(t)
	sess, err := concurrency.NewSession(cli, concurrency.WithTTL(10))
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	el := concurrency.NewElection(sess, prefix+"leader")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := el.Campaign(ctx, "server-1"); err != nil {
		t.Fatal(err)
	}
	leader := st.Fenced(el.Key(), el.Rev())
	create(t, leader, configMap("default", "a", nil))
	if err := el.Resign(ctx); err != nil {
		t.Fatal(err)
	}
	rv := st.ResourceVersion()
	err = leader.Update(func(tx *Tx) error { return tx.Create(configMap("default", "b", nil)) })
	if !errors.Is(err, ErrFenced) {
		t.Fatalf("write after losing the election: %v, want ErrFenced", err)
	}
	if _, err := st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "b"}); !errors.Is(err, ErrNotFound) || st.ResourceVersion() != rv {
		t.Fatalf("the fenced write left something: %v, rv %d (was %d)", err, st.ResourceVersion(), rv)
	}
	// A later view sees nothing of it either; the unfenced store writes.
	other := openEtcdView(t, "", prefix)
	if other.ResourceVersion() != rv {
		t.Fatalf("new view at %d, want %d", other.ResourceVersion(), rv)
	}
	create(t, st, configMap("default", "c", nil))
	// On Badger there is one server: Fenced is the store itself.
	bs := backends[1].open(t)
	if bs.Fenced("k", 1) != bs || bs.Engine() != "badger" || st.Engine() != "etcd" {
		t.Error("Fenced or Engine on Badger")
	}
}

// A view opened after checkpoints trimmed the log loads the checkpoint and
// the entries after it, and agrees with the writer.
func TestEtcdCheckpointsTrimTheLog(t *testing.T) {
	prefix := newPrefix(t)
	eo := EtcdOptions{CheckpointEvery: 5}
	w := openEtcdView(t, "", prefix, eo)
	for i := range 23 {
		create(t, w, configMap("default", fmt.Sprintf("cm-%02d", i), map[string]string{"i": fmt.Sprint(i)}))
		if i%3 == 0 {
			if err := w.Update(func(tx *Tx) error { return tx.PutMeta(fmt.Sprintf("m/%d", i), i) }); err != nil {
				t.Fatal(err)
			}
		}
	}
	cli := etcdClient(t)
	testkit.Eventually(t, time.Minute, "the log trimmed", func() error {
		r, err := cli.Get(context.Background(), prefix+"log/"+seq20(1))
		if err != nil || len(r.Kvs) != 0 {
			return fmt.Errorf("log/1 still there (%v)", err)
		}
		return nil
	})
	v := openEtcdView(t, "", prefix, eo)
	caughtUp(t, w, v)
	if dw, dv := dump(t, w), dump(t, v); dw != dv {
		t.Fatalf("new view differs:\nwriter: %s\nview: %s", dw, dv)
	}
	if _, err := v.Watch(context.Background(), 1); !errors.Is(err, ErrGone) {
		t.Errorf("watch before the checkpoint: %v, want ErrGone", err)
	}
}

// An on-disk view reopens where it was and applies what it missed.
func TestEtcdDiskViewResumes(t *testing.T) {
	prefix, dir := newPrefix(t), t.TempDir()
	w := openEtcdView(t, "", prefix)
	v, err := OpenEtcd(dir, etcdClient(t), Options{}, EtcdOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	create(t, w, configMap("default", "a", nil))
	caughtUp(t, w, v)
	v.Close()
	create(t, w, configMap("default", "b", nil))
	v = openEtcdView(t, dir, prefix)
	if dw, dv := dump(t, w), dump(t, v); dw != dv {
		t.Fatalf("reopened view differs:\nwriter: %s\nview: %s", dw, dv)
	}
}

// A directory holding a Badger store of its own is not taken as a view.
func TestEtcdRefusesABadgerStoreAsItsView(t *testing.T) {
	dir := t.TempDir()
	st, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	create(t, st, configMap("default", "a", nil))
	st.Close()
	_, err = OpenEtcd(dir, etcdClient(t), Options{}, EtcdOptions{Prefix: newPrefix(t)})
	if err == nil || !strings.Contains(err.Error(), "not a view of etcd") {
		t.Fatalf("OpenEtcd on a Badger store: %v", err)
	}
}

// When another server appends first, fn runs again on the caught-up view,
// with the caller's objects as the caller gave them (the first run's
// resourceVersion would be a conflict).
func TestEtcdUpdateRunsAgainAfterAnotherServerWrote(t *testing.T) {
	prefix := newPrefix(t)
	b := openEtcdView(t, "", prefix)
	interleaved := false
	eo := EtcdOptions{failpoint: func(point string) error {
		if point == "commit" && !interleaved {
			interleaved = true // b appends between a's run of fn and a's append
			create(t, b, configMap("default", "from-b", nil))
		}
		return nil
	}}
	a := openEtcdView(t, "", prefix, eo)
	interleaved = true
	cm := configMap("default", "x", map[string]string{"v": "1"})
	create(t, a, cm)
	caughtUp(t, a, b)
	interleaved = false
	runs := 0
	cm.Data["v"] = "2" // cm carries the stored resourceVersion: a precondition
	err := a.Update(func(tx *Tx) error {
		runs++
		return tx.Update(cm)
	})
	if err != nil {
		t.Fatal(err)
	}
	if runs != 2 {
		t.Fatalf("fn ran %d times, want 2 (once more after b's write)", runs)
	}
	caughtUp(t, a, b)
	got := mustGet(t, b, cm).(*corev1.ConfigMap)
	if got.Data["v"] != "2" || got.ResourceVersion != "3" || cm.ResourceVersion != "3" {
		t.Fatalf("after the re-run: stored v=%s rv=%s, caller's rv %s", got.Data["v"], got.ResourceVersion, cm.ResourceVersion)
	}
}

// Two members of three stopped: writes fail (with etcd's reason), reads
// still answer from the view; one member back and writes resume.
func TestEtcdLostQuorumStopsWritesNotReads(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three members")
	}
	c := etcdtest.StartCluster(t, 3)
	st, err := OpenEtcd("", c.Client(t), Options{}, EtcdOptions{Prefix: "/q/", RequestTimeout: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	create(t, st, configMap("default", "a", nil))
	c.Members[1].Stop()
	c.Members[2].Stop()
	err = st.Update(func(tx *Tx) error { return tx.Create(configMap("default", "b", nil)) })
	if err == nil {
		t.Fatal("a write without quorum succeeded")
	}
	t.Logf("write without quorum: %v", err)
	if apierrors.ReasonOf(err) != apierrors.ReasonServiceUnavailable || !strings.Contains(err.Error(), "quorum") {
		t.Errorf("a write without quorum: %v, want ServiceUnavailable naming the lost quorum", err)
	}
	// By now the remaining member has noticed it has no leader: etcd
	// refuses the next append before proposing it (require-leader).
	err = st.Update(func(tx *Tx) error { return tx.Create(configMap("default", "c", nil)) })
	if apierrors.ReasonOf(err) != apierrors.ReasonServiceUnavailable || !strings.Contains(err.Error(), "nothing was written") {
		t.Errorf("a write on a member without a leader: %v, want ServiceUnavailable, nothing written", err)
	}
	if _, err := st.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "a"}); err != nil {
		t.Fatalf("read without quorum: %v", err)
	}
	if err := c.Members[1].Restart(); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 2*time.Minute, "writes resume", func() error {
		return st.Update(func(tx *Tx) error {
			if _, err := tx.Get(objects.Key{Kind: "ConfigMap", Namespace: "default", Name: "b"}); err == nil {
				return nil // the write above was committed after all
			}
			return tx.Create(configMap("default", "b", nil))
		})
	})
}
