package apiserver

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// fanoutWatchSpecs are watches of every scope: people (all, a kind, a
// node's pods), nodes (all they see, one kind, their own pods, another
// node's pods).
func fanoutWatchSpecs() []watchSpec {
	admin := authz.Identity{Name: authz.TokenUser, Role: authz.RoleAdmin}
	viewer := authz.Identity{Name: "victor", Role: authz.RoleViewer}
	node := func(n string) authz.Identity { return authz.Identity{Name: "node:" + n, Role: authz.RoleNode, Node: n} }
	return []watchSpec{
		{id: admin}, {id: admin, kind: "Pod"}, {id: admin, kind: "Secret"}, {id: admin, node: "a"}, {id: viewer, kind: "Pod", node: "b"},
		{id: admin, kind: "Service", node: "a"},
		{id: node("a")}, {id: node("a"), kind: "Pod", node: "a"}, {id: node("a"), kind: "Secret"}, {id: node("a"), kind: "ConfigMap"},
		{id: node("a"), node: "b"}, {id: node("b")}, {id: node("b"), kind: "Node"}, {id: node("c")}, {id: node("c"), kind: "Secret"},
	}
}

// drain takes what is queued for s without waiting.
func drain(s *subscription) []*sharedEvent {
	var out []*sharedEvent
	for s.more() {
		ev, ok := s.next(context.Background())
		if !ok {
			break
		}
		out = append(out, ev)
	}
	return out
}

func eventNames(evs []*sharedEvent) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, fmt.Sprintf("%d %s %s", ev.ResourceVersion, ev.Type, objects.KeyOf(ev.Object)))
	}
	return out
}

// waitRouted waits until the fan-out has routed the store's last event.
func waitRouted(t *testing.T, f *fanout) {
	t.Helper()
	testkit.Eventually(t, 30*time.Second, "the fan-out to route the store's events", func() error {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.rv < f.st.ResourceVersion() {
			return fmt.Errorf("routed up to %d of %d", f.rv, f.st.ResourceVersion())
		}
		return nil
	})
}

// TestFanoutIndexIsWants: what the index routes to each watch is exactly
// what wants (kind, ?node=, authz.Visibility at the time of the event)
// says of the store's events, for watches of every scope and events of
// every kind a node may or may not see, including a ConfigMap and Secrets
// whose readers change as pods come and go.
func TestFanoutIndexIsWants(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	f := newFanout(st, func(what string, err error) { t.Errorf("%s: %v", what, err) })
	ctx := context.Background()
	specs := fanoutWatchSpecs()
	subs := make([]*subscription, len(specs))
	for i, sp := range specs {
		s, err := f.subscribe(ctx, sp, st.ResourceVersion())
		if err != nil {
			t.Fatal(err)
		}
		defer s.close()
		subs[i] = s
	}
	// Changes: pods come and go on a, b and unbound; Secrets and
	// ConfigMaps change while their readers change; other kinds.
	web, err := st.Get(objects.Key{Kind: "Pod", Namespace: "shop", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	changed := func(o objects.Object) objects.Object {
		o.SetLabels(map[string]string{"changed": fmt.Sprint(time.Now().UnixNano())})
		return o
	}
	steps := []func(tx *store.Tx) error{
		func(tx *store.Tx) error { return tx.Update(changed(testSecret("shop", "db"))) },           // read by a
		func(tx *store.Tx) error { return tx.Update(changed(testSecret("shop", "other-db"))) },     // read by b
		func(tx *store.Tx) error { return tx.Update(changed(testSecret("shop", "unreferenced"))) }, // nobody's
		func(tx *store.Tx) error { return tx.Update(changed(testConfigMap("shop", "cfg"))) },       // a
		func(tx *store.Tx) error { return tx.Create(pod("pending", "")) },
		func(tx *store.Tx) error { return tx.Create(pod("on-c", "c")) },
		func(tx *store.Tx) error {
			p := web.(*corev1.Pod).DeepCopy()
			p.Status.Phase = corev1.PodRunning
			return tx.UpdateStatus(p)
		},
		func(tx *store.Tx) error { return tx.Create(testNode("c")) },
		func(tx *store.Tx) error {
			svc := &corev1.Service{}
			svc.Name, svc.Namespace = "web", "shop"
			objects.SetTypeMeta(svc, "Service")
			return tx.Create(svc)
		},
		func(tx *store.Tx) error {
			d := &appsv1.Deployment{}
			d.Name, d.Namespace = "web", "shop"
			objects.SetTypeMeta(d, "Deployment")
			return tx.Create(d)
		},
		func(tx *store.Tx) error { return tx.Delete(objects.Key{Kind: "Pod", Namespace: "shop", Name: "web"}) },
		func(tx *store.Tx) error { return tx.Update(changed(testSecret("shop", "db"))) }, // a's pod is gone: nobody's
		func(tx *store.Tx) error {
			return tx.Delete(objects.Key{Kind: "Secret", Namespace: "shop", Name: "other-db"})
		},
	}
	for _, step := range steps {
		if err := st.Update(step); err != nil {
			t.Fatal(err)
		}
		waitRouted(t, f) // one event at a time: wants reads the store as it is at the event
	}
	all := drain(subs[0]) // the admin's: every event
	if len(all) != len(steps) {
		t.Fatalf("the admin's watch got %d events, want %d: %v", len(all), len(steps), eventNames(all))
	}
	for i, s := range subs[1:] {
		var want []*sharedEvent
		for _, ev := range all {
			if f.wants(specs[i+1], ev) {
				want = append(want, ev)
			}
		}
		if got := eventNames(drain(s)); !slices.Equal(got, eventNames(want)) {
			t.Errorf("watch %+v got\n  %v\nwant\n  %v", specs[i+1], got, eventNames(want))
		}
	}
	// And wants is Visibility: node a saw the db Secret while web ran, not after.
	nodeA := eventNames(nil)
	for _, ev := range all {
		if f.wants(specs[6], ev) {
			nodeA = append(nodeA, fmt.Sprintf("%s %s", ev.Type, objects.KeyOf(ev.Object)))
		}
	}
	testkit.GoldenString(t, "testdata/fanout-node-a.golden", fmt.Sprintln(nodeA))
}

// TestFanoutDropsASlowWatcher: a watch whose queue is full is closed
// (its client lists again) while the others get every event.
func TestFanoutDropsASlowWatcher(t *testing.T) {
	st := openStore(t)
	f := newFanout(st, func(what string, err error) { t.Errorf("%s: %v", what, err) })
	f.buffer = 4
	admin := watchSpec{id: authz.Identity{Name: authz.TokenUser, Role: authz.RoleAdmin}}
	slow, err := f.subscribe(context.Background(), admin, st.ResourceVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.close()
	fast, err := f.subscribe(context.Background(), admin, st.ResourceVersion())
	if err != nil {
		t.Fatal(err)
	}
	defer fast.close()
	var got []*sharedEvent
	for i := range 10 {
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(pod(fmt.Sprintf("p%d", i), "a")) }); err != nil {
			t.Fatal(err)
		}
		ev, ok := fast.next(context.Background())
		if !ok {
			t.Fatalf("the reading watch ended at event %d", i)
		}
		got = append(got, ev)
	}
	if len(got) != 10 {
		t.Fatalf("the reading watch got %d events, want 10", len(got))
	}
	n := 0
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, ok := slow.next(ctx)
		cancel()
		if !ok {
			break
		}
		n++
	}
	if n != f.buffer {
		t.Errorf("the slow watch read %d events before its end, want its queue's %d", n, f.buffer)
	}
	if f.dropped.Load() != 1 {
		t.Errorf("dropped watches: %d, want 1", f.dropped.Load())
	}
}

// TestFanoutStartsFromAnyResourceVersion: a watch from a resourceVersion
// among the recent events, one older than them (replayed from the store's
// history) and one newer than the fan-out has routed get every later event
// once, in order; one older than the store's history is ErrGone.
func TestFanoutStartsFromAnyResourceVersion(t *testing.T) {
	st := openStore(t)
	f := newFanout(st, func(what string, err error) { t.Errorf("%s: %v", what, err) })
	f.keep = 3
	admin := watchSpec{id: authz.Identity{Name: authz.TokenUser, Role: authz.RoleAdmin}}
	first, err := f.subscribe(context.Background(), admin, st.ResourceVersion()) // starts the fan-out
	if err != nil {
		t.Fatal(err)
	}
	defer first.close()
	var rvs []uint64
	for i := range 12 {
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(pod(fmt.Sprintf("p%d", i), "a")) }); err != nil {
			t.Fatal(err)
		}
		rvs = append(rvs, st.ResourceVersion())
	}
	waitRouted(t, f)
	for _, from := range []int{0, 2, 9, 11} {
		s, err := f.subscribe(context.Background(), admin, rvs[from])
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(pod(fmt.Sprintf("q%d", from), "a")) }); err != nil {
			t.Fatal(err)
		}
		rvs = append(rvs, st.ResourceVersion())
		want := slices.Clone(rvs[from+1:])
		var got []uint64
		for range want {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			ev, ok := s.next(ctx)
			cancel()
			if !ok {
				t.Fatalf("watch from event %d ended after %v", from, got)
			}
			got = append(got, ev.ResourceVersion)
		}
		s.close()
		if !slices.Equal(got, want) {
			t.Errorf("watch from event %d got rvs %v, want %v", from, got, want)
		}
	}
}

// TestDelayHistogram: percentiles within a bucket's width of the true
// ones, and Reset empties it.
func TestDelayHistogram(t *testing.T) {
	var h DelayHistogram
	for i := 1; i <= 1000; i++ {
		h.Observe(time.Duration(i) * time.Millisecond)
	}
	s := h.Snapshot()
	if s.Count != 1000 || s.Max != time.Second {
		t.Fatalf("count %d max %v, want 1000 and 1s", s.Count, s.Max)
	}
	for _, c := range []struct {
		got, want time.Duration
	}{{s.P50, 500 * time.Millisecond}, {s.P99, 990 * time.Millisecond}} {
		if c.got < c.want || float64(c.got) > 1.2*float64(c.want) {
			t.Errorf("percentile %v, want within 20%% above %v", c.got, c.want)
		}
	}
	h.Reset()
	h.Observe(time.Millisecond)
	if s := h.Snapshot(); s.Count != 1 || s.Max != time.Millisecond {
		t.Errorf("after Reset: %+v, want one observation of 1ms", s)
	}
}

// TestDroppedWatchEndsTheClientsStream: when the fan-out drops a watch
// (its queue was full), the HTTP stream ends and apiclient's Watch returns
// without an error, which is where its callers (WaitPods, KindCache,
// ServiceCache) list again.
func TestDroppedWatchEndsTheClientsStream(t *testing.T) {
	st := openStore(t)
	srv := &Server{Store: st}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	c := apiclient.New(hs.URL, "")
	if err := st.Update(func(tx *store.Tx) error { return tx.Create(pod("p0", "a")) }); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	got := make(chan string, 16)
	go func() {
		done <- c.Watch(context.Background(), st.ResourceVersion(), "Pod", "", func(ev apiclient.WatchEvent) bool {
			got <- ev.Object.GetName()
			return true
		})
	}()
	// The watch is open once it carries an event.
	testkit.Eventually(t, 30*time.Second, "the watch to carry an event", func() error {
		if err := st.Update(func(tx *store.Tx) error { return tx.Create(pod(fmt.Sprintf("p%d", time.Now().UnixNano()), "a")) }); err != nil {
			return err
		}
		select {
		case <-got:
			return nil
		case <-time.After(time.Second):
			return fmt.Errorf("no event yet")
		}
	})
	srvFan := srv.fanout()
	srvFan.mu.Lock()
	for _, set := range srvFan.sets() {
		for w := range set {
			srvFan.remove(w)
			w.drop() // what send does to a watch whose queue is full
		}
	}
	srvFan.mu.Unlock()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the dropped watch's client returned %v, want nil (list again)", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the dropped watch's stream did not end")
	}
}
