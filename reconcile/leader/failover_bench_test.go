package leader_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/credentials"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember"
	"github.com/reconcile-dev/reconcile/reconcile/etcdmember/membertest"
	"github.com/reconcile-dev/reconcile/reconcile/leader"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
)

// Env of a candidate subprocess (TestMain below runs it instead of the
// tests): endpoints, the PKI directory with the etcd client pair, name, TTL.
const (
	envCandidate = "LEADER_BENCH_CANDIDATE"
	envEndpoints = "LEADER_BENCH_ENDPOINTS"
	envPKI       = "LEADER_BENCH_PKI"
	envTTL       = "LEADER_BENCH_TTL"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(envCandidate); name != "" {
		os.Exit(candidate(name))
	}
	if spec := os.Getenv(envServer); spec != "" {
		os.Exit(server(spec))
	}
	os.Exit(m.Run())
}

// candidate campaigns and prints "leading NAME" each time it leads.
func candidate(name string) int {
	dir := os.Getenv(envPKI)
	ca, err := pki.LoadCA(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cli, err := etcdmember.NewClient(strings.Split(os.Getenv(envEndpoints), ","), dir, ca)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ttl, _ := time.ParseDuration(os.Getenv(envTTL))
	e := leader.New(leader.Options{Client: cli, Prefix: "/bench/", Name: name, TTL: ttl})
	_ = e.Run(context.Background(), func(ctx context.Context, f leader.Fence) error {
		fmt.Printf("leading %s\n", name)
		<-ctx.Done()
		return nil
	})
	return 0
}

type proc struct {
	cmd  *exec.Cmd
	name string
}

// BenchmarkFailover: kill -9 the leading server and time until another
// has led and written through its fenced store (the failover: the
// new leader has applied a new commit). Each server is a subprocess with
// its own embedded member and an elector on that member alone, as
// controlplane.Start; after each round the dead member is removed and a
// new server joins, so three always run. 5 rounds, median and max
// reported (b.N is ignored). takeover=off is the elector without
// Options.Gone (the dead leader's lease expires by itself); takeover=on is
// what controllers run. BenchmarkFailover/candidates is the elector
// alone, candidates without members (the lease expires by itself).
//
//	go test -run '^$' -bench Failover -benchtime 1x ./reconcile/leader/
func BenchmarkFailover(b *testing.B) {
	for _, takeOver := range []bool{false, true} {
		b.Run(fmt.Sprintf("ttl=%s/takeover=%s", leader.DefaultTTL, onOff(takeOver)), func(b *testing.B) { benchServers(b, leader.DefaultTTL, takeOver) })
	}
	b.Run("candidates/ttl="+leader.DefaultTTL.String(), func(b *testing.B) { benchFailover(b, leader.DefaultTTL) })
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func benchServers(b *testing.B, ttl time.Duration, takeOver bool) {
	s := startServers(b, 3, ttl, takeOver)
	current := s.waitLeading()
	var took []time.Duration
	var cpu time.Duration
	revoked := 0
	for range 5 {
		t0 := time.Now()
		cpu += s.kill(current)
		next := s.waitLeading()
		took = append(took, time.Since(t0))
		for len(s.revoked) > 0 {
			revoked++
			b.Logf("kill at %s, leading and written +%s; %s", t0.Format("15:04:05.000"), took[len(took)-1].Round(time.Millisecond), <-s.revoked)
		}
		s.remove(current)
		current = next
		s.join()
	}
	report(b, took)
	b.Logf("TTL %s, take-over %s: failovers %v; %d leases revoked by a candidate; killed servers' CPU %s", ttl, onOff(takeOver), took, revoked, cpu)
}

func report(b *testing.B, took []time.Duration) {
	slices.Sort(took)
	b.ReportMetric(took[len(took)/2].Seconds(), "s-median-failover")
	b.ReportMetric(took[len(took)-1].Seconds(), "s-max-failover")
}

func benchFailover(b *testing.B, ttl time.Duration) {
	c := membertest.Start(b, 3)
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	leading := make(chan string, 16)
	var procs []*proc
	start := func(name string) {
		cmd := exec.Command(exe)
		cmd.Env = append(os.Environ(), envCandidate+"="+name, envEndpoints+"="+strings.Join(c.Endpoints(), ","),
			envPKI+"="+credentials.PKIDir(c.Opts[0].Data), envTTL+"="+ttl.String())
		out, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		procs = append(procs, &proc{cmd: cmd, name: name})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if n, ok := strings.CutPrefix(sc.Text(), "leading "); ok {
					leading <- n
				}
			}
		}()
	}
	defer func() {
		for _, p := range procs {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	}()
	wait := func() string {
		select {
		case n := <-leading:
			return n
		case <-time.After(2 * time.Minute):
			b.Fatal("no candidate leads after 2 min")
			return ""
		}
	}
	start("c0")
	start("c1")
	current := wait()
	var took []time.Duration
	var cpu time.Duration
	for round := range 5 {
		for _, p := range procs {
			if p.name == current && p.cmd.ProcessState == nil {
				t0 := time.Now()
				p.cmd.Process.Signal(syscall.SIGKILL)
				p.cmd.Wait()
				cpu += p.cmd.ProcessState.UserTime() + p.cmd.ProcessState.SystemTime()
				current = wait()
				took = append(took, time.Since(t0))
				break
			}
		}
		start("c" + strconv.Itoa(round+2)) // two candidates again
	}
	report(b, took)
	b.Logf("TTL %s, candidates without members: failovers %v; killed candidates' CPU %s", ttl, took, cpu)
}
