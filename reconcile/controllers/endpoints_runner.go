package controllers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// EndpointsRunner keeps every Service's Endpoints equal to
// DesiredEndpoints. It has its own list+watch of Services, Pods and
// Endpoints (so it reacts to a pod's readiness or deletionTimestamp in
// the same moment as everything else watching the store) and writes all
// the Endpoints one pass changes in one transaction.
type EndpointsRunner struct {
	st  *store.Store
	log *slog.Logger

	services  map[objects.Key]*corev1.Service
	endpoints map[objects.Key]*corev1.Endpoints
	pods      map[objects.Key]*corev1.Pod
	byLabel   map[string]map[objects.Key]*corev1.Pod // "ns/k=v" → pods
	// selectedBy remembers which services a pod was an endpoint
	// candidate of, so a pod whose labels changed updates the service
	// it left.
	selectedBy map[objects.Key][]objects.Key
	dirty      map[objects.Key]bool // service keys
}

// NewEndpointsRunner returns a runner over st; call Run.
func NewEndpointsRunner(st *store.Store, log *slog.Logger) *EndpointsRunner {
	if log == nil {
		log = slog.Default()
	}
	return &EndpointsRunner{st: st, log: log.With("component", "endpoints")}
}

// Run lists and watches until ctx ends; it re-lists after a watch ends.
func (r *EndpointsRunner) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		err := r.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		r.log.Info("endpoints: listing again", "reason", err)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func (r *EndpointsRunner) session(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.services, r.endpoints, r.pods = map[objects.Key]*corev1.Service{}, map[objects.Key]*corev1.Endpoints{}, map[objects.Key]*corev1.Pod{}
	r.byLabel, r.selectedBy, r.dirty = map[string]map[objects.Key]*corev1.Pod{}, map[objects.Key][]objects.Key{}, map[objects.Key]bool{}
	var fromRV uint64
	for i, kind := range []string{"Service", "Pod", "Endpoints"} {
		objs, rv, err := r.st.List(kind, "")
		if err != nil {
			return fmt.Errorf("list %s: %w", kind, err)
		}
		if i == 0 || rv < fromRV {
			fromRV = rv
		}
		for _, o := range objs {
			r.observe(store.Event{Type: store.Added, Object: o, ResourceVersion: rv})
		}
	}
	for k := range r.services {
		r.dirty[k] = true
	}
	for k := range r.endpoints {
		r.dirty[k] = true // Endpoints of deleted services go too
	}
	events, err := r.st.Watch(ctx, fromRV)
	if err != nil {
		return err
	}
	for {
		if err := r.process(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-events:
			if !ok {
				return errRelist
			}
			r.observe(ev)
		}
	drain:
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return errRelist
				}
				r.observe(ev)
			default:
				break drain
			}
		}
	}
}

// observe updates the cache and marks the services an event affects.
func (r *EndpointsRunner) observe(ev store.Event) {
	k := objects.KeyOf(ev.Object)
	deleted := ev.Type == store.Deleted
	switch o := ev.Object.(type) {
	case *corev1.Service:
		sk := objects.Key{Kind: "Service", Namespace: k.Namespace, Name: k.Name}
		if deleted {
			delete(r.services, sk)
		} else {
			r.services[sk] = o
		}
		r.dirty[sk] = true
	case *corev1.Endpoints:
		if deleted {
			delete(r.endpoints, k)
		} else if old := r.endpoints[k]; old == nil || objectRV(old) <= objectRV(o) {
			r.endpoints[k] = o
		}
		// Someone else's change (or a stale one) is corrected by recomputing.
		r.dirty[objects.Key{Kind: "Service", Namespace: k.Namespace, Name: k.Name}] = true
	case *corev1.Pod:
		if old := r.pods[k]; old != nil {
			r.unindex(k, old)
		}
		for _, sk := range r.selectedBy[k] {
			r.dirty[sk] = true
		}
		delete(r.selectedBy, k)
		if deleted {
			delete(r.pods, k)
			return
		}
		r.pods[k] = o
		for lk, lv := range o.Labels {
			ik := k.Namespace + "/" + lk + "=" + lv
			if r.byLabel[ik] == nil {
				r.byLabel[ik] = map[objects.Key]*corev1.Pod{}
			}
			r.byLabel[ik][k] = o
		}
		for sk, svc := range r.services {
			if sk.Namespace == k.Namespace && selects(svc, o) {
				r.dirty[sk] = true
				r.selectedBy[k] = append(r.selectedBy[k], sk)
			}
		}
	}
}

func selects(svc *corev1.Service, p *corev1.Pod) bool {
	if len(svc.Spec.Selector) == 0 {
		return false
	}
	for k, v := range svc.Spec.Selector {
		if p.Labels[k] != v {
			return false
		}
	}
	return true
}

func (r *EndpointsRunner) unindex(k objects.Key, old *corev1.Pod) {
	for lk, lv := range old.Labels {
		ik := k.Namespace + "/" + lk + "=" + lv
		delete(r.byLabel[ik], k)
		if len(r.byLabel[ik]) == 0 {
			delete(r.byLabel, ik)
		}
	}
}

// candidates are the pods that may match svc: those carrying its
// selector's rarest label.
func (r *EndpointsRunner) candidates(svc *corev1.Service) []*corev1.Pod {
	var best map[objects.Key]*corev1.Pod
	first := true
	for k, v := range svc.Spec.Selector {
		m := r.byLabel[svc.Namespace+"/"+k+"="+v]
		if first || len(m) < len(best) {
			best, first = m, false
		}
	}
	out := make([]*corev1.Pod, 0, len(best))
	for _, p := range best {
		out = append(out, p)
	}
	return out
}

// process computes the dirty services' Endpoints and writes the changes
// in one transaction; on a conflict it writes them one by one.
func (r *EndpointsRunner) process() error {
	if len(r.dirty) == 0 {
		return nil
	}
	keys := make([]objects.Key, 0, len(r.dirty))
	for k := range r.dirty {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b objects.Key) int {
		if a.Less(b) {
			return -1
		}
		return 1
	})
	r.dirty = map[objects.Key]bool{}
	var all []Changes
	for _, sk := range keys {
		svc := r.services[sk]
		var pods []*corev1.Pod
		if svc != nil {
			pods = r.candidates(svc)
		}
		ch := ReconcileEndpoints(svc, r.endpoints[objects.Key{Kind: "Endpoints", Namespace: sk.Namespace, Name: sk.Name}], pods)
		if !ch.Empty() {
			all = append(all, ch)
		}
	}
	if len(all) == 0 {
		return nil
	}
	err := r.st.Update(func(tx *store.Tx) error {
		for _, ch := range all {
			if err := writeEndpoints(tx, ch); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		r.remember(all)
		return nil
	}
	for _, ch := range all {
		err := r.st.Update(func(tx *store.Tx) error { return writeEndpoints(tx, ch) })
		switch {
		case err == nil:
			r.remember([]Changes{ch})
		case isRace(err) || errors.Is(err, store.ErrConflict):
			// The watch brings the newer object; it marks the service again.
			r.log.Debug("endpoints: concurrent change; will recompute", "err", err)
		default:
			return fmt.Errorf("write endpoints: %w", err)
		}
	}
	return nil
}

// remember puts the written Endpoints (with the resourceVersion the store
// gave them) in the cache, so the next pass does not rewrite them from a
// stale copy before the watch delivers them.
func (r *EndpointsRunner) remember(all []Changes) {
	for _, ch := range all {
		for _, o := range append(ch.Create, ch.Update...) {
			r.endpoints[objects.KeyOf(o)] = o.(*corev1.Endpoints)
		}
		for _, o := range ch.Delete {
			delete(r.endpoints, objects.KeyOf(o))
		}
	}
}

// writeEndpoints writes one service's Endpoints change. Deletes check the
// uid, so a new Endpoints of the same name is never removed.
func writeEndpoints(tx *store.Tx, ch Changes) error {
	for _, o := range ch.Create {
		if err := tx.Create(o); err != nil {
			return err
		}
	}
	for _, o := range ch.Update {
		if err := tx.Update(o); err != nil {
			return err
		}
	}
	for _, o := range ch.Delete {
		cur, err := tx.Get(objects.KeyOf(o))
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if cur.GetUID() == o.GetUID() {
			if err := tx.Delete(objects.KeyOf(o)); err != nil {
				return err
			}
		}
	}
	return nil
}
