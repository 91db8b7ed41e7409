package leader_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/reconcile-dev/reconcile/reconcile/controlplane"
	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// envServer: a server subprocess (TestMain runs it instead of the tests),
// its serverSpec in JSON.
const envServer = "LEADER_TEST_SERVER"

// serverSpec is what a server subprocess starts: its embedded member and
// an elector on that member's client alone, as controlplane.Start.
type serverSpec struct {
	Name, Data, InitialCluster string
	PeerPort, ClientPort       int
	Mode                       etcdmember.Mode
	TTL                        time.Duration
	NoTakeOver                 bool // leader.Options.Gone nil: the lease expires by itself
	KeepWriting                bool // the leader writes bench/last/NAME every 100 ms
}

// server is the subprocess: it prints "ready" once its member serves,
// then campaigns; each time it leads it writes through its fenced store
// and then prints "leading NAME" (the failover: a new leader that
// has written). Its log (with leader.MsgRevoked lines) goes to stdout.
func server(spec string) int {
	var s serverSpec
	if err := json.Unmarshal([]byte(spec), &s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fail := func(err error) int { fmt.Fprintln(os.Stderr, s.Name+":", err); return 1 }
	ca, err := pki.LoadCA(credentials.PKIDir(s.Data))
	if err != nil {
		return fail(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{Level: slog.LevelWarn}))
	m, err := etcdmember.Start(context.Background(), etcdmember.Options{Name: s.Name, Data: s.Data, CA: ca, Advertise: "127.0.0.1",
		PeerPort: s.PeerPort, ClientPort: s.ClientPort, Mode: s.Mode, InitialCluster: s.InitialCluster, ReadyTimeout: 2 * time.Minute, Log: log})
	if err != nil {
		return fail(err)
	}
	fmt.Println("ready")
	cli, err := m.Client()
	if err != nil {
		return fail(err)
	}
	// The store is opened before the campaign, as a controller opens it
	// at start (every server serves the API); a learner refuses reads
	// until it is promoted.
	var st *store.Store
	for {
		if st, err = store.OpenEtcd("", cli, store.Options{}, store.EtcdOptions{Prefix: "/bench/"}); err == nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	o := leader.Options{Client: cli, Prefix: "/bench/", Name: s.Name, TTL: s.TTL, Log: log, Gone: controlplane.MemberGone(cli)}
	if s.NoTakeOver {
		o.Gone = nil
	}
	_ = leader.New(o).Run(context.Background(), func(ctx context.Context, f leader.Fence) error {
		fenced := st.Fenced(f.Key, f.Rev)
		if err := fenced.Update(func(tx *store.Tx) error { return tx.PutMeta("bench/leader", s.Name) }); err != nil {
			return err
		}
		fmt.Printf("leading %s\n", s.Name)
		defer fmt.Printf("stopped %s\n", s.Name)
		if !s.KeepWriting {
			<-ctx.Done()
			return nil
		}
		for n := 1; ; n++ { // what a paused leader would go on doing
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(100 * time.Millisecond):
			}
			err := fenced.Update(func(tx *store.Tx) error { return tx.PutMeta("bench/last/"+s.Name, n) })
			if errors.Is(err, store.ErrFenced) {
				fmt.Printf("fenced %s\n", s.Name)
				return err
			}
		}
	})
	return 0
}

// servers are server subprocesses forming one cluster, as controllers
// with --cluster-init and --join do.
type servers struct {
	tb          testing.TB
	ca          *pki.CA
	ttl         time.Duration
	noTakeOver  bool
	keepWriting bool
	events      chan string // "stopped NAME", "fenced NAME"
	procs       map[string]*exec.Cmd
	opts        map[string]etcdmember.Options
	data        string // a data directory whose pki holds the etcd client pair
	next        int
	leading     chan string // names, as they lead
	revoked     chan string // leader.MsgRevoked lines
}

func startServers(tb testing.TB, n int, ttl time.Duration, takeOver bool) *servers {
	return startServersWith(tb, n, ttl, takeOver, false)
}

func startServersWith(tb testing.TB, n int, ttl time.Duration, takeOver, keepWriting bool) *servers {
	ca, err := pki.NewCA(time.Now())
	if err != nil {
		tb.Fatal(err)
	}
	s := &servers{tb: tb, ca: ca, ttl: ttl, procs: map[string]*exec.Cmd{}, opts: map[string]etcdmember.Options{}, leading: make(chan string, 64), revoked: make(chan string, 64), noTakeOver: !takeOver, keepWriting: keepWriting, events: make(chan string, 64)}
	tb.Cleanup(s.stopAll)
	o := membertest.Options(tb, ca, "s1")
	o.Mode = etcdmember.ModeInit
	s.data = o.Data
	s.spawn(o)
	s.next = 2
	for range n - 1 {
		s.join()
	}
	return s
}

// spawn starts a server subprocess and waits for its member to serve.
func (s *servers) spawn(o etcdmember.Options) {
	s.tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		s.tb.Fatal(err)
	}
	spec, err := json.Marshal(serverSpec{Name: o.Name, Data: o.Data, InitialCluster: o.InitialCluster, PeerPort: o.PeerPort, ClientPort: o.ClientPort, Mode: o.Mode, TTL: s.ttl, NoTakeOver: s.noTakeOver, KeepWriting: s.keepWriting})
	if err != nil {
		s.tb.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), envServer+"="+string(spec))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		s.tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.tb.Fatal(err)
	}
	s.procs[o.Name] = cmd
	s.opts[o.Name] = o
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "ready":
				close(ready)
			case strings.HasPrefix(line, "leading "):
				s.leading <- strings.TrimPrefix(line, "leading ")
			case strings.Contains(line, leader.MsgRevoked):
				s.revoked <- line
			case strings.HasPrefix(line, "stopped ") || strings.HasPrefix(line, "fenced "):
				select {
				case s.events <- line:
				default:
				}
			}
		}
	}()
	select {
	case <-ready:
	case <-time.After(3 * time.Minute):
		s.tb.Fatalf("server %s: its member did not start in 3 min", o.Name)
	}
}

// client is an etcd client of the running servers' members.
func (s *servers) client() *clientv3.Client {
	s.tb.Helper()
	var eps []string
	for name := range s.procs {
		o := s.opts[name]
		eps = append(eps, o.ClientURL())
	}
	cli, err := etcdmember.NewClient(eps, credentials.PKIDir(s.data), s.ca)
	if err != nil {
		s.tb.Fatal(err)
	}
	return cli
}

// join adds the next server as --join does: a learner added through a
// running member, its subprocess started with the answer, then promoted.
func (s *servers) join() string {
	s.tb.Helper()
	name := fmt.Sprintf("s%d", s.next)
	s.next++
	cli := s.client()
	defer cli.Close()
	o := membertest.Options(s.tb, s.ca, name)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	info, err := etcdmember.AddLearner(ctx, cli, name, o.PeerURL())
	if err != nil {
		s.tb.Fatalf("add %s: %v", name, err)
	}
	o.Mode, o.InitialCluster = etcdmember.ModeJoin, info.InitialCluster
	s.spawn(o)
	if err := etcdmember.PromoteWhenReady(ctx, func(ctx context.Context) error { return etcdmember.Promote(ctx, cli, info.MemberID) }, 200*time.Millisecond); err != nil {
		s.tb.Fatalf("promote %s: %v", name, err)
	}
	return name
}

// kill kills server name with SIGKILL (its member dies with it), waits
// for the process to end and says its CPU time.
func (s *servers) kill(name string) time.Duration {
	cmd := s.procs[name]
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
	delete(s.procs, name)
	delete(s.opts, name)
	return cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

// remove removes a killed server's member (`reconcile server remove`).
func (s *servers) remove(name string) {
	s.tb.Helper()
	cli := s.client()
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if _, err := etcdmember.Remove(ctx, cli, name, 0); err != nil {
		s.tb.Fatalf("remove %s: %v", name, err)
	}
}

// waitLeading is the next server that leads (and has written).
func (s *servers) waitLeading() string {
	s.tb.Helper()
	select {
	case n := <-s.leading:
		return n
	case <-time.After(3 * time.Minute):
		s.tb.Fatal("no server leads after 3 min")
		return ""
	}
}

func (s *servers) stopAll() {
	for name := range s.procs {
		s.kill(name)
	}
}
