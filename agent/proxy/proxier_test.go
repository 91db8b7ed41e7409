package proxy

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// memSource is a Source over slices the test changes between syncs.
type memSource struct {
	svcs []*corev1.Service
	eps  []*corev1.Endpoints
	rv   uint64
}

func (m *memSource) List(context.Context) ([]*corev1.Service, []*corev1.Endpoints, uint64, error) {
	return m.svcs, m.eps, m.rv, nil
}

func (m *memSource) Wait(ctx context.Context, _ uint64) error { <-ctx.Done(); return nil }

// sortedSave is the fake's content with every chain's rules sorted: a
// partial sync may order the one-rule-per-service chains differently
// from a full one, which is fine for them (and only them).
func sortedSave(f *Fake) string {
	lines := strings.Split(f.Save(), "\n")
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func fullState(t *testing.T, src *memSource, foreign []string, opts ...Options) string {
	t.Helper()
	f := NewFake(foreign...)
	p := &Proxier{Source: src, IPTables: f}
	if len(opts) > 0 {
		p.Options = opts[0]
	}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	return sortedSave(f)
}

// TestPartialSyncsEqualFullSync changes services and endpoints step by
// step; after each partial sync the fake holds what a full sync of the
// same input makes, and the foreign rules are untouched.
func TestPartialSyncsEqualFullSync(t *testing.T) {
	foreign := []string{"nat PREROUTING -j DOCKER", "filter FORWARD -j ACCEPT"}
	f := NewFake(foreign...)
	src := &memSource{}
	opts := Options{ServiceCIDR: "10.96.0.0/16"}
	p := &Proxier{Source: src, IPTables: f, Options: opts}
	web := service("web", "10.96.0.10", corev1.ServiceTypeNodePort, port("", corev1.ProtocolTCP, 80, 30080))
	db := service("db", "10.96.0.11", corev1.ServiceTypeClusterIP, port("pg", corev1.ProtocolTCP, 5432, 0), port("metrics", corev1.ProtocolUDP, 9000, 0))
	steps := []struct {
		name string
		do   func()
	}{
		{"empty", func() {}},
		{"web without endpoints", func() { src.svcs = []*corev1.Service{web} }},
		{"web gets two endpoints", func() {
			src.eps = []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2", "10.88.0.3"})}
		}},
		{"db added with endpoints", func() {
			src.svcs = append(src.svcs, db)
			src.eps = append(src.eps, endpoints("db", map[string]int32{"pg": 5432, "metrics": 9000}, []string{"10.88.0.7"}))
		}},
		{"web scaled to one", func() {
			src.eps[0] = endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.3"})
		}},
		{"web deleted", func() { src.svcs, src.eps = src.svcs[1:], src.eps[1:] }},
		{"db loses its endpoints", func() { src.eps = nil }},
		{"all gone", func() { src.svcs = nil }},
	}
	for i, s := range steps {
		s.do()
		st, err := p.Sync(t.Context())
		if err != nil {
			t.Fatalf("step %q: %v", s.name, err)
		}
		if st.Full != (i == 0) {
			t.Fatalf("step %q: full=%v", s.name, st.Full)
		}
		if got, want := sortedSave(f), fullState(t, src, foreign, opts); got != want {
			t.Fatalf("step %q: partial sync state differs from a full sync:\n%s\n--- want\n%s\n--- restore text:\n%s", s.name, got, want, f.Texts[len(f.Texts)-1])
		}
	}
	if f.Restores != len(steps) {
		t.Fatalf("%d restores for %d syncs, want one each", f.Restores, len(steps))
	}
	// A sync without changes writes nothing.
	if st, _ := p.Sync(t.Context()); st.RestoreSize != 0 {
		t.Fatalf("a sync with nothing changed wrote %d bytes", st.RestoreSize)
	}
	// Cleanup leaves exactly the foreign rules.
	if err := Cleanup(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Save(), NewFake(foreign...).Save(); got != want {
		t.Fatalf("after cleanup:\n%s\nwant\n%s", got, want)
	}
}

// TestFirstSyncRemovesStaleChains: chains an earlier agent left (a service
// deleted while it was down) are deleted by the first, full sync.
func TestFirstSyncRemovesStaleChains(t *testing.T) {
	f := NewFake()
	old := &memSource{svcs: []*corev1.Service{service("gone", "10.96.0.50", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))},
		eps: []*corev1.Endpoints{endpoints("gone", map[string]int32{"": 80}, []string{"10.88.0.50"})}}
	if _, err := (&Proxier{Source: old, IPTables: f}).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	// A new proxier (agent restart) with the service gone.
	if _, err := (&Proxier{Source: &memSource{}, IPTables: f}).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got, want := sortedSave(f), fullState(t, &memSource{}, nil); got != want {
		t.Fatalf("stale chains left:\n%s", got)
	}
	for _, h := range Hooks {
		if n := len(slices.DeleteFunc(slices.Clone(f.Tables[h.Table][h.Chain]), func(r string) bool { return r != h.Rule })); n != 1 {
			t.Fatalf("hook %s %s present %d times, want once", h.Table, h.Chain, n)
		}
	}
}

// TestFailedRestoreMakesNextSyncFull: after a refused restore the proxier
// no longer trusts its memory of the kernel.
func TestFailedRestoreMakesNextSyncFull(t *testing.T) {
	f := &failing{Fake: NewFake()}
	src := &memSource{}
	p := &Proxier{Source: src, IPTables: f}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.fail = true
	src.svcs = []*corev1.Service{service("web", "10.96.0.10", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))}
	if _, err := p.Sync(t.Context()); err == nil {
		t.Fatal("want the restore error")
	}
	f.fail = false
	st, err := p.Sync(t.Context())
	if err != nil || !st.Full {
		t.Fatalf("sync after a failure: full=%v err=%v, want a full sync", st.Full, err)
	}
}

type failing struct {
	*Fake
	fail bool
}

func (f *failing) Restore(ctx context.Context, text []byte) error {
	if f.fail {
		return fmt.Errorf("iptables-restore: injected failure")
	}
	return f.Fake.Restore(ctx, text)
}

// TestCleanupRemovesDuplicateHooks: a hook written twice (by hand, by an
// older agent) does not keep its chain alive: Cleanup leaves exactly the
// foreign rules.
func TestCleanupRemovesDuplicateHooks(t *testing.T) {
	foreign := []string{"nat OUTPUT -j DOCKER"}
	f := NewFake(foreign...)
	src := &memSource{svcs: []*corev1.Service{service("web", "10.96.0.10", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))}}
	if _, err := (&Proxier{Source: src, IPTables: f, Options: Options{ServiceCIDR: "10.96.0.0/16"}}).Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	h := Hooks[1]
	f.Tables[h.Table][h.Chain] = append(f.Tables[h.Table][h.Chain], h.Rule)
	if err := Cleanup(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	if got, want := f.Save(), NewFake(foreign...).Save(); got != want {
		t.Fatalf("after cleanup:\n%s\nwant\n%s", got, want)
	}
}

// TestStopKeepsRules: stopping a started proxier leaves its rules (as
// kube-proxy), unless asked to remove them.
func TestStopKeepsRules(t *testing.T) {
	src := &memSource{svcs: []*corev1.Service{service("web", "10.96.0.10", corev1.ServiceTypeClusterIP, port("", corev1.ProtocolTCP, 80, 0))},
		eps: []*corev1.Endpoints{endpoints("web", map[string]int32{"": 8080}, []string{"10.88.0.2"})}}
	for _, remove := range []bool{false, true} {
		f := NewFake()
		synced := make(chan struct{})
		p := &Proxier{Source: &notifySource{memSource: src, listed: synced}, IPTables: f}
		stop := p.Start(t.Context(), remove)
		<-synced // listed once; Run restores before it waits, and stop waits for Run
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		kept := strings.Contains(f.Save(), "DNAT --to-destination 10.88.0.2:8080")
		if kept == remove {
			t.Errorf("removeRules=%v: rules kept after stop = %v\n%s", remove, kept, f.Save())
		}
	}
}

// notifySource closes listed at the first Wait: the sync before it is done.
type notifySource struct {
	*memSource
	listed chan struct{}
	once   sync.Once
}

func (n *notifySource) Wait(ctx context.Context, rv uint64) error {
	n.once.Do(func() { close(n.listed) })
	return n.memSource.Wait(ctx, rv)
}

// TestHooksMovedBackToTop: netavark inserts its FORWARD jump (which
// accepts everything from its subnets) at the top after the proxy's first
// sync; the next hook check moves the proxy's FORWARD and OUTPUT hooks
// back above it, one copy each, and other hooks stay where they are.
func TestHooksMovedBackToTop(t *testing.T) {
	f := NewFake()
	src := &memSource{}
	p := &Proxier{Source: src, IPTables: f, Options: Options{ServiceCIDR: "10.96.0.0/16"}}
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	netavark := "-m comment --comment \"netavark firewall plugin rules\" -j NETAVARK_FORWARD"
	f.Tables[TableFilter]["NETAVARK_FORWARD"] = []string{"-s 10.88.0.0/16 -j ACCEPT"}
	for _, chain := range []string{"FORWARD", "OUTPUT", "INPUT"} {
		f.Tables[TableFilter][chain] = append([]string{netavark}, f.Tables[TableFilter][chain]...)
	}
	p.lastHooks = time.Time{} // as after HookCheckInterval: the next sync checks the hooks
	if _, err := p.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, h := range Hooks {
		if h.Table != TableFilter {
			continue
		}
		rules := f.Tables[h.Table][h.Chain]
		copies := len(slices.DeleteFunc(slices.Clone(rules), func(r string) bool { return r != h.Rule }))
		if first := rules[0] == h.Rule; copies != 1 || first != h.First {
			t.Errorf("%s: %d copies of the hook, first=%v (want 1, first=%v):\n%s", h.Chain, copies, first, h.First, strings.Join(rules, "\n"))
		}
	}
	if err := Cleanup(t.Context(), f); err != nil {
		t.Fatal(err)
	}
	for _, chain := range []string{"FORWARD", "OUTPUT", "INPUT"} {
		if rules := f.Tables[TableFilter][chain]; !slices.Equal(rules, []string{netavark}) {
			t.Errorf("%s after cleanup: %q", chain, rules)
		}
	}
}
