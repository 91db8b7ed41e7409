package store

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// A commit of many objects, larger than one etcd request, becomes visible
// whole or not at all, wherever its writer dies.

const atomicObjects = 1500

// generationCommit sets every ConfigMap's "gen" to one more than the
// first one's (creating them at generation 0): one large entry.
func generationCommit(tx *Tx) error {
	objs, err := tx.List("ConfigMap", "default")
	if err != nil {
		return err
	}
	if len(objs) == 0 {
		for i := range atomicObjects {
			cm := configMap("default", fmt.Sprintf("cm-%05d", i), map[string]string{"gen": "0", "pad": strings.Repeat("x", 300)})
			if err := tx.Create(cm); err != nil {
				return err
			}
		}
		return nil
	}
	next := fmt.Sprint(genOf(objs[0]) + 1)
	for _, o := range objs {
		o.(*corev1.ConfigMap).Data["gen"] = next
		if err := tx.Update(o); err != nil {
			return err
		}
	}
	return nil
}

func genOf(o objects.Object) int {
	var g int
	fmt.Sscan(o.(*corev1.ConfigMap).Data["gen"], &g)
	return g
}

// mixChecker lists a view again and again and records any list whose
// ConfigMaps are not all of one generation, or a resourceVersion that
// went back.
type mixChecker struct {
	st     *Store
	stop   chan struct{}
	done   chan struct{}
	mu     sync.Mutex
	errs   []string
	checks atomic.Int64
}

func startMixChecker(st *Store) *mixChecker {
	c := &mixChecker{st: st, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(c.done)
		var lastRV uint64
		for {
			select {
			case <-c.stop:
				return
			default:
			}
			objs, rv, err := st.ListShared("ConfigMap", "default")
			if err != nil {
				c.fail("list: %v", err)
				return
			}
			if rv < lastRV {
				c.fail("resourceVersion went back from %d to %d", lastRV, rv)
			}
			lastRV = rv
			if len(objs) != 0 && len(objs) != atomicObjects {
				c.fail("a list of %d ConfigMaps at rv %d: part of a commit", len(objs), rv)
			}
			for _, o := range objs {
				if genOf(o) != genOf(objs[0]) {
					c.fail("generations %d and %d in one list at rv %d: a mix of two commits", genOf(objs[0]), genOf(o), rv)
					break
				}
			}
			c.checks.Add(1)
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return c
}

func (c *mixChecker) fail(f string, a ...any) {
	c.mu.Lock()
	c.errs = append(c.errs, fmt.Sprintf(f, a...))
	c.mu.Unlock()
}

func (c *mixChecker) finish(t *testing.T) {
	t.Helper()
	close(c.stop)
	<-c.done
	for _, e := range c.errs {
		t.Error(e)
	}
	if c.checks.Load() == 0 {
		t.Error("the checker never listed")
	}
}

// currentGen is the generation a view serves, waiting for it to be whole.
func currentGen(t *testing.T, st *Store) int {
	t.Helper()
	objs, _, err := st.List("ConfigMap", "default")
	if err != nil || len(objs) != atomicObjects {
		t.Fatalf("list: %d objects, %v", len(objs), err)
	}
	return genOf(objs[0])
}

var errDied = errors.New("the writer died here (failpoint)")

// Failpoints: the writer stops between two parts, before the small
// transaction, or after it (before it applied the entry itself).
func TestEtcdWriterDyingAtAnyPointLeavesOldOrNewCommit(t *testing.T) {
	prefix := newPrefix(t)
	eo := EtcdOptions{ChunkBytes: 32 << 10}
	reader := openEtcdView(t, "", prefix, eo)
	if err := openEtcdView(t, "", prefix, eo).Update(generationCommit); err != nil {
		t.Fatal(err)
	}
	caughtUpTo(t, reader, atomicObjects)
	check := startMixChecker(reader)
	points := []string{"chunk", "chunk", "commit", "after-commit", "chunk"}
	for i, point := range points {
		before := currentGen(t, reader)
		hit := 0
		at := 0
		if point == "chunk" {
			at = rand.IntN(20) // the entry has about 30 parts
		}
		o := eo
		o.failpoint = func(p string) error {
			if p != point {
				return nil
			}
			if hit++; hit > at {
				return errDied
			}
			return nil
		}
		w := openEtcdView(t, "", prefix, o)
		if err := w.Update(generationCommit); !errors.Is(err, errDied) {
			t.Fatalf("trial %d (%s #%d): %v, want the failpoint", i, point, at, err)
		}
		w.Close() // dead
		want := before
		if point == "after-commit" {
			want = before + 1 // the entry is in the log: the commit happened
		}
		// A later writer continues from whatever the log holds.
		next := openEtcdView(t, "", prefix, eo)
		if got := currentGen(t, next); got != want {
			t.Fatalf("trial %d (%s #%d): generation %d after the death, want %d", i, point, at, got, want)
		}
		if err := next.Update(generationCommit); err != nil {
			t.Fatal(err)
		}
		testkit.Eventually(t, time.Minute, "the reader at the next commit", func() error {
			if g := currentGen(t, reader); g != want+1 {
				return fmt.Errorf("generation %d, want %d", g, want+1)
			}
			return nil
		})
		next.Close()
	}
	check.finish(t)
}

func caughtUpTo(t *testing.T, st *Store, rv uint64) {
	t.Helper()
	testkit.Eventually(t, time.Minute, "the view caught up", func() error {
		if st.ResourceVersion() < rv {
			return fmt.Errorf("at %d, want %d", st.ResourceVersion(), rv)
		}
		return nil
	})
}

// writerEnv makes the test binary, run as a child, commit generations
// forever on the etcd endpoint and prefix it names ("ENDPOINT PREFIX").
const writerEnv = "RECONCILE_STORE_TEST_ETCD_WRITER"

func runChildWriter(spec string) {
	endpoint, prefix, _ := strings.Cut(spec, " ")
	cli, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	st, err := OpenEtcd("", cli, Options{}, EtcdOptions{Prefix: prefix, ChunkBytes: 32 << 10})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	for {
		if err := st.Update(generationCommit); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("committed")
	}
}

// A writer process killed with SIGKILL at random moments of its commits.
func TestEtcdWriterKilledMidCommitLeavesOldOrNewCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts writer processes")
	}
	prefix := newPrefix(t)
	reader := openEtcdView(t, "", prefix)
	if err := reader.Update(generationCommit); err != nil {
		t.Fatal(err)
	}
	check := startMixChecker(reader)
	endpoint := sharedEtcd.c.Endpoints()[0]
	for kill := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), writerEnv+"="+endpoint+" "+prefix)
		out, _ := cmd.StdoutPipe()
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(out)
		if !lines.Scan() || lines.Text() != "ready" {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("writer %d: %q", kill, lines.Text())
		}
		go func() {
			for lines.Scan() {
				if strings.HasPrefix(lines.Text(), "error") {
					t.Errorf("writer %d: %s", kill, lines.Text())
				}
			}
		}()
		time.Sleep(time.Duration(200+rand.IntN(1500)) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
	}
	// The killed writers' commits are whole; a new writer continues.
	w := openEtcdView(t, "", prefix)
	g := currentGen(t, w)
	if err := w.Update(generationCommit); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, time.Minute, "the reader at the last commit", func() error {
		if got := currentGen(t, reader); got != g+1 {
			return fmt.Errorf("generation %d, want %d", got, g+1)
		}
		return nil
	})
	check.finish(t)
	t.Logf("%d generations committed by killed writers; %d lists checked", g, check.checks.Load())
}
