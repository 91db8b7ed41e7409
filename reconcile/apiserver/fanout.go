package apiserver

import (
	"context"
	"sync"
	"sync/atomic"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/authz"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// The watch fan-out: every stream of GET /api/v1/watch is served from one
// store watch (one copy of each event, not one per watcher), routed by an
// index instead of a filter per event and per watcher, and encoded once
// per event (fanout_event.go). Kubernetes' watch cache does the same: its
// cacher indexes pod watchers by spec.nodeName, caches each event's
// serialisation, and terminates a watcher that does not keep up.
//
// Routing, per event of kind K, to the watches asking for K or every kind:
//   - people (any role but node) without ?node=: every event;
//   - a node without ?node=: the events of authz.AudienceOf the object
//     (its pods by spec.nodeName; every Node, Service, Endpoints, Ingress,
//     IngressClass; the ConfigMaps and Secrets its pods reference), which
//     is authz.Visibility for every node at once;
//   - ?node=N: the pods bound to N (a node's own only).
// wants says the same for one watch and one event; the index is its
// partition (TestFanoutIndexIsWants).

// watchBuffer bounds the events queued for one watch. A watcher that
// falls this far behind (a slow client, a stalled connection) is closed
// rather than blocking the others or growing without bound: its client
// lists again (apiclient's WaitPods, KindCache and ServiceCache all do when
// a stream ends), as a Kubernetes client does when the cacher closes an
// unresponsive watcher. The queue is a slice of shared events, so it costs
// memory only while its watcher is behind; 10,000 lets a watch of every
// Service absorb a 10,000-object commit.
const watchBuffer = 10000

// recentEvents is how many events the fan-out keeps to start a watch from
// a recent resourceVersion (an agent's long poll after its list) without
// reading the store's history; older starts replay from the store.
const recentEvents = 1024

// watchSpec is what one watch asked for.
type watchSpec struct {
	id   authz.Identity
	kind string // "" = every kind
	node string // ?node=: only pods bound to node
}

type scope int

const (
	scopeAll     scope = iota // a person without ?node=: everything
	scopeNode                 // a node without ?node=: its audience
	scopePodsOn               // ?node=N: pods bound to N
	scopeNothing              // a node asking for another node's pods, ?node= with a kind other than Pod
)

func (sp watchSpec) scope() (scope, string) {
	if sp.node != "" {
		if (sp.id.Role == authz.RoleNode && sp.id.Node != sp.node) || (sp.kind != "" && sp.kind != "Pod") {
			return scopeNothing, ""
		}
		return scopePodsOn, sp.node
	}
	if sp.id.Role == authz.RoleNode {
		return scopeNode, sp.id.Node
	}
	return scopeAll, ""
}

// wants says whether a watch of sp gets ev (the old per-watcher filter:
// kind, ?node=, authz.Visibility at the time of the event).
func (f *fanout) wants(sp watchSpec, ev *sharedEvent) bool {
	if sp.kind != "" && ev.kind != sp.kind {
		return false
	}
	sc, node := sp.scope()
	switch sc {
	case scopeAll:
		return true
	case scopePodsOn:
		return boundTo(ev.Object, node)
	case scopeNode:
		return f.audience(ev).Has(node)
	}
	return false
}

// fanout serves the watches of one Server.
type fanout struct {
	st       *store.Store
	logError func(what string, err error)
	buffer   int // per-watch queue (watchBuffer; tests make it small)
	keep     int // recent events kept (recentEvents; tests make it small)

	mu          sync.Mutex
	running     bool
	rv          uint64         // the newest event routed (or where the store watch started)
	recent      []*sharedEvent // every event with resourceVersion > recentFloor, oldest first
	recentFloor uint64
	all         map[string]watcherSet            // kind → scopeAll
	nodes       map[string]map[string]watcherSet // kind → node → scopeNode
	podsOn      map[string]map[string]watcherSet // kind → node → scopePodsOn
	nodeWatches atomic.Int64                     // scopeNode watches: whether audiences are needed

	// Delay, when set, is told how long each event took from its arrival
	// in the fan-out to its write on a watch's connection.
	delay *DelayHistogram
	// dropped counts watches closed for falling behind.
	dropped atomic.Int64
	// observer is Server.Observer when it is a WatchObserver.
	observer WatchObserver
}

func newFanout(st *store.Store, logError func(string, error)) *fanout {
	return &fanout{st: st, logError: logError, buffer: watchBuffer, keep: recentEvents,
		all: map[string]watcherSet{}, nodes: map[string]map[string]watcherSet{}, podsOn: map[string]map[string]watcherSet{},
		delay: &DelayHistogram{}}
}

// start begins following the store; f.mu is held.
func (f *fanout) start() error {
	rv := f.st.ResourceVersion()
	events, err := f.st.WatchShared(context.Background(), rv) // read only (sharedEvent); ends when the store closes or this falls behind its history
	if err != nil {
		return err
	}
	f.running, f.rv, f.recentFloor, f.recent = true, rv, rv, nil
	go f.run(events)
	return nil
}

func (f *fanout) run(events <-chan store.Event) {
	for e := range events {
		ev := newSharedEvent(e)
		// A ConfigMap's or Secret's audience lists its namespace's pods:
		// worked out before the lock, so subscriptions do not wait on it.
		if f.nodeWatches.Load() > 0 && authz.NeedsPods(ev.Object) {
			f.audience(ev)
		}
		f.mu.Lock()
		f.rv = ev.ResourceVersion
		f.remember(ev)
		f.route(ev)
		f.mu.Unlock()
	}
	// The store closed, or this watch fell behind the store's history:
	// every watch ends (its client lists again) and the next one starts
	// the fan-out anew.
	f.mu.Lock()
	defer f.mu.Unlock()
	f.running = false
	for _, set := range f.sets() {
		for w := range set {
			w.drop()
		}
	}
	f.all, f.nodes, f.podsOn = map[string]watcherSet{}, map[string]map[string]watcherSet{}, map[string]map[string]watcherSet{}
	f.nodeWatches.Store(0)
	f.recent = nil
}

// remember keeps ev among the recent events; f.mu is held.
func (f *fanout) remember(ev *sharedEvent) {
	f.recent = append(f.recent, ev)
	if len(f.recent) > 2*f.keep {
		drop := len(f.recent) - f.keep
		f.recentFloor = f.recent[drop-1].ResourceVersion
		f.recent = append(make([]*sharedEvent, 0, 2*f.keep), f.recent[drop:]...)
	}
}

// route hands ev to every watch that wants it; f.mu is held.
func (f *fanout) route(ev *sharedEvent) {
	pod, _ := ev.Object.(*corev1.Pod)
	for _, k := range [2]string{ev.kind, ""} {
		f.send(f.all[k], ev)
		if pod != nil {
			if pod.Spec.NodeName != "" {
				f.send(f.nodes[k][pod.Spec.NodeName], ev)
				f.send(f.podsOn[k][pod.Spec.NodeName], ev)
			}
			continue
		}
		byNode := f.nodes[k]
		if len(byNode) == 0 {
			continue
		}
		aud := f.audience(ev)
		if aud.Every {
			for _, set := range byNode {
				f.send(set, ev)
			}
			continue
		}
		for n := range aud.Nodes {
			f.send(byNode[n], ev)
		}
	}
}

// send queues ev for every watch of set; one whose queue is full is
// dropped (closed): it never blocks the others. f.mu is held.
func (f *fanout) send(set watcherSet, ev *sharedEvent) {
	for w := range set {
		if !w.push(ev, f.buffer) {
			f.remove(w)
			w.drop()
			f.dropped.Add(1)
			if f.observer != nil {
				f.observer.WatchDropped()
			}
		}
	}
}

// audience is the nodes that may see ev's object (computed once per event).
func (f *fanout) audience(ev *sharedEvent) authz.Audience {
	ev.audienceOnce.Do(func() {
		var pods []*corev1.Pod
		if authz.NeedsPods(ev.Object) {
			items, _, err := f.st.ListShared("Pod", ev.Object.GetNamespace())
			if err != nil {
				f.logError("watch: the nodes that may see "+objects.KeyOf(ev.Object).String(), err)
				return // nobody's node sees it, as a failed filter did
			}
			pods = make([]*corev1.Pod, 0, len(items))
			for _, o := range items {
				if p, ok := o.(*corev1.Pod); ok {
					pods = append(pods, p)
				}
			}
		}
		aud, err := authz.AudienceOf(ev.Object, pods, storeGraph{f.st})
		if err != nil {
			f.logError("watch: the nodes that may see "+objects.KeyOf(ev.Object).String(), err)
			return
		}
		ev.aud = aud
	})
	return ev.aud
}

func (f *fanout) sets() []watcherSet {
	var out []watcherSet
	for _, s := range f.all {
		out = append(out, s)
	}
	for _, m := range []map[string]map[string]watcherSet{f.nodes, f.podsOn} {
		for _, byNode := range m {
			for _, s := range byNode {
				out = append(out, s)
			}
		}
	}
	return out
}

// add indexes w; f.mu is held.
func (f *fanout) add(w *watcher) {
	sc, node := w.spec.scope()
	switch sc {
	case scopeAll:
		if f.all[w.spec.kind] == nil {
			f.all[w.spec.kind] = watcherSet{}
		}
		f.all[w.spec.kind][w] = struct{}{}
	case scopeNode, scopePodsOn:
		m := f.nodes
		if sc == scopePodsOn {
			m = f.podsOn
		} else {
			f.nodeWatches.Add(1)
		}
		if m[w.spec.kind] == nil {
			m[w.spec.kind] = map[string]watcherSet{}
		}
		if m[w.spec.kind][node] == nil {
			m[w.spec.kind][node] = watcherSet{}
		}
		m[w.spec.kind][node][w] = struct{}{}
	}
}

// remove unindexes w; f.mu is held.
func (f *fanout) remove(w *watcher) {
	sc, node := w.spec.scope()
	switch sc {
	case scopeAll:
		delete(f.all[w.spec.kind], w)
	case scopeNode, scopePodsOn:
		m := f.nodes
		if sc == scopePodsOn {
			m = f.podsOn
		}
		set := m[w.spec.kind][node]
		if _, ok := set[w]; !ok {
			return
		}
		if sc == scopeNode {
			f.nodeWatches.Add(-1)
		}
		delete(set, w)
		if len(set) == 0 {
			delete(m[w.spec.kind], node)
		}
	}
}
