package scalebench

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// probeCondition is the pod condition the fan-out measurement writes: a
// condition of no agent, which the agents' own status writes keep
// (store.MergeAgentPodStatus).
const probeCondition corev1.PodConditionType = "scalebench.reconcile.dev/FanoutProbe"

// sampleTimeout bounds one sample: a write not seen by every watcher by
// then is missed.
const sampleTimeout = 10 * time.Second

// receipt is one watcher seeing one probe.
type receipt struct {
	watcher int
	message string
	at      time.Time
}

// Fanout measures watch fan-out from outside the controller: watchers
// watches of node's pods (the watch an agent holds, filtered by node on
// the server), while every simulated node holds its own; then samples pod
// status writes, one at a time, each timed from sending the write until
// the last watcher saw it. pods are pods on node.
func Fanout(ctx context.Context, c *apiclient.Client, node string, pods []objects.Key, watchers, samples int) (*Latency, error) {
	if len(pods) == 0 {
		return nil, fmt.Errorf("fan-out: no running pod on a node to write the status of")
	}
	_, rv, err := c.List(ctx, "Namespace", "", nil)
	if err != nil {
		return nil, fmt.Errorf("fan-out: the store's resourceVersion: %w", err)
	}
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() { stop(); wg.Wait() }()
	seen := make(chan receipt, 1024)
	for w := range watchers {
		wg.Go(func() {
			c.Watch(wctx, rv, "Pod", node, func(ev apiclient.WatchEvent) bool {
				if m := probeMessage(ev.Object); m != "" {
					select {
					case seen <- receipt{w, m, time.Now()}:
					case <-wctx.Done():
						return false
					}
				}
				return true
			})
		})
	}
	cp := apiclient.ControlPlane{Client: c}
	probe := func(i int) (time.Duration, time.Duration, bool, error) {
		msg := fmt.Sprintf("probe %d", i)
		o, err := c.Get(ctx, pods[i%len(pods)])
		if err != nil {
			return 0, 0, false, err
		}
		pod := o.(*corev1.Pod)
		setProbe(pod, msg)
		start := time.Now()
		if err := cp.UpdatePodStatus(ctx, pod); err != nil {
			return 0, 0, false, err
		}
		write := time.Since(start)
		got := map[int]time.Time{}
		limit := time.After(sampleTimeout)
		for len(got) < watchers {
			select {
			case r := <-seen:
				if r.message == msg {
					got[r.watcher] = r.at
				}
			case <-limit:
				return 0, write, false, nil
			case <-ctx.Done():
				return 0, write, false, ctx.Err()
			}
		}
		var last time.Time
		for _, at := range got {
			if at.After(last) {
				last = at
			}
		}
		return last.Sub(start), write, true, nil
	}
	// A first write, not counted, proves every watch is established.
	if _, _, ok, err := probe(0); err != nil || !ok {
		return nil, fmt.Errorf("fan-out: the first status write reached not every one of %d watchers within %s (err %v)", watchers, sampleTimeout, err)
	}
	var lat, writes []time.Duration
	missed := 0
	for i := 1; i <= samples; i++ {
		d, w, ok, err := probe(i)
		if err != nil {
			return LatencyOf(lat, watchers, missed, writes), fmt.Errorf("fan-out sample %d: %w", i, err)
		}
		writes = append(writes, w)
		if !ok {
			missed++
			continue
		}
		lat = append(lat, d)
	}
	return LatencyOf(lat, watchers, missed, writes), nil
}

// setProbe puts the probe condition with msg on pod's status.
func setProbe(pod *corev1.Pod, msg string) {
	c := corev1.PodCondition{Type: probeCondition, Status: corev1.ConditionTrue, Message: msg}
	for i := range pod.Status.Conditions {
		if pod.Status.Conditions[i].Type == probeCondition {
			pod.Status.Conditions[i] = c
			return
		}
	}
	pod.Status.Conditions = append(pod.Status.Conditions, c)
}

// probeMessage is the probe condition's message of a pod ("" for none).
func probeMessage(o objects.Object) string {
	p, ok := o.(*corev1.Pod)
	if !ok {
		return ""
	}
	for _, c := range p.Status.Conditions {
		if c.Type == probeCondition {
			return c.Message
		}
	}
	return ""
}
