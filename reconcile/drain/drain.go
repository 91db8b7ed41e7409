package drain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// API is what cordon and drain need of the controller; *apiclient.Client
// implements it.
type API interface {
	SetUnschedulable(ctx context.Context, node string, unschedulable bool) (*corev1.Node, error)
	Get(ctx context.Context, key objects.Key) (objects.Object, error)
	List(ctx context.Context, kind, namespace string, q url.Values) ([]objects.Object, uint64, error)
	Evict(ctx context.Context, namespace, name string, uid types.UID) (string, error)
}

// Cordon sets the node's spec.unschedulable to on and says so on out as
// kubectl does ("node/n1 cordoned", "node/n1 already uncordoned").
func Cordon(ctx context.Context, api API, node string, on bool, out io.Writer) error {
	verb := map[bool]string{true: "cordoned", false: "uncordoned"}[on]
	o, err := api.Get(ctx, objects.Key{Kind: "Node", Name: node})
	if err != nil {
		return fmt.Errorf("node %q: %w", node, err)
	}
	if n := o.(*corev1.Node); n.Spec.Unschedulable == on {
		fmt.Fprintf(out, "node/%s already %s\n", node, verb)
		return nil
	}
	if _, err := api.SetUnschedulable(ctx, node, on); err != nil {
		return fmt.Errorf("node %q: %w", node, err)
	}
	fmt.Fprintf(out, "node/%s %s\n", node, verb)
	return nil
}

// Settings are how Drain waits.
type Settings struct {
	Options
	// Timeout bounds the whole drain; 0 waits for ever (kubectl's default).
	Timeout time.Duration
	// PollInterval is how often Drain looks whether the evicted pods are
	// gone (default 1 s).
	PollInterval time.Duration
	// EvictionRetry is how long Drain waits before it asks again for an
	// eviction a PodDisruptionBudget refused (429); default 5 s, kubectl's.
	EvictionRetry time.Duration
}

// Drain cordons the node, evicts the pods Filter chooses and waits until
// each of them (by uid) is gone from the node, printing what it does on
// out. Refused pods stop it before any eviction (the node stays cordoned,
// as with kubectl).
func Drain(ctx context.Context, api API, node string, s Settings, out io.Writer) error {
	if s.PollInterval <= 0 {
		s.PollInterval = time.Second
	}
	if s.EvictionRetry <= 0 {
		s.EvictionRetry = 5 * time.Second
	}
	if s.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.Timeout)
		defer cancel()
	}
	if err := Cordon(ctx, api, node, true, out); err != nil {
		return err
	}
	pods, err := podsOf(ctx, api, node)
	if err != nil {
		return err
	}
	plan := Filter(pods, s.Options)
	if len(plan.Refused) > 0 {
		return fmt.Errorf("unable to drain node %q: %s; node/%s stays cordoned (reconcile uncordon %s undoes it)",
			node, strings.Join(group(plan.Refused), "; "), node, node)
	}
	for _, w := range group(append(plan.Ignored, plan.Warnings...)) {
		fmt.Fprintf(out, "Warning: %s\n", w)
	}
	if err := evictAll(ctx, api, plan.Evict, s.EvictionRetry, out); err != nil {
		return fmt.Errorf("draining node %q: %w", node, err)
	}
	if err := waitGone(ctx, api, node, plan.Evict, s.PollInterval, out); err != nil {
		return fmt.Errorf("draining node %q: %w", node, err)
	}
	fmt.Fprintf(out, "node/%s drained\n", node)
	return nil
}

// evictAll evicts the pods at once, one goroutine each, as kubectl does,
// so a pod whose disruption budget holds it back does not hold back the
// others; it returns the first error once every eviction has ended.
func evictAll(ctx context.Context, api API, pods []*corev1.Pod, retry time.Duration, out io.Writer) error {
	out = &lockedWriter{w: out}
	for _, p := range pods {
		fmt.Fprintf(out, "evicting pod %s\n", podName(p))
	}
	errs := make([]error, len(pods))
	var wg sync.WaitGroup
	for i, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = evict(ctx, api, p, retry, out)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// evict evicts one pod, retrying while a disruption budget refuses it
// (429) and saying so in kubectl's words; a pod already gone counts as
// evicted.
func evict(ctx context.Context, api API, p *corev1.Pod, every time.Duration, out io.Writer) error {
	for {
		_, err := api.Evict(ctx, p.Namespace, p.Name, p.UID)
		switch {
		case err == nil, errors.Is(err, apierrors.ErrNotFound), errors.Is(err, apierrors.ErrConflict):
			return nil // gone, or replaced by a new pod of that name: this one is gone
		case apierrors.Is(err, apierrors.ReasonTooManyRequests):
			fmt.Fprintf(out, "error when evicting pods/%q -n %q (will retry after %s): %v\n", p.Name, p.Namespace, every, err)
			if !ctxwait.Sleep(ctx, every) {
				return fmt.Errorf("evicting pod %s: %v (retried until the timeout)", podName(p), err)
			}
		default:
			return fmt.Errorf("evicting pod %s: %w", podName(p), err)
		}
	}
}

// lockedWriter serialises the lines of concurrent evictions.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// waitGone waits until no pod of pending (by uid) is bound to the node.
func waitGone(ctx context.Context, api API, node string, order []*corev1.Pod, every time.Duration, out io.Writer) error {
	pending := map[types.UID]*corev1.Pod{}
	for _, p := range order {
		pending[p.UID] = p
	}
	timedOut := func() error {
		var names []string
		for _, p := range pending {
			names = append(names, podName(p))
		}
		slices.Sort(names)
		return fmt.Errorf("timed out waiting for pods to be gone: %s (their agent stops them within their grace period; is it running?)", strings.Join(names, ", "))
	}
	for len(pending) > 0 {
		pods, err := podsOf(ctx, api, node)
		if ctx.Err() != nil {
			return timedOut()
		}
		if err != nil {
			return err
		}
		still := map[types.UID]bool{}
		for _, p := range pods {
			still[p.UID] = true
		}
		for _, p := range order {
			if pending[p.UID] != nil && !still[p.UID] {
				fmt.Fprintf(out, "pod/%s evicted\n", p.Name)
				delete(pending, p.UID)
			}
		}
		if len(pending) == 0 {
			return nil
		}
		if !ctxwait.Sleep(ctx, every) {
			return timedOut()
		}
	}
	return nil
}

func podsOf(ctx context.Context, api API, node string) ([]*corev1.Pod, error) {
	objs, _, err := api.List(ctx, "Pod", "", url.Values{"node": {node}})
	if err != nil {
		return nil, fmt.Errorf("listing the pods of node %q: %w", node, err)
	}
	pods := make([]*corev1.Pod, 0, len(objs))
	for _, o := range objs {
		if p, ok := o.(*corev1.Pod); ok && p.Spec.NodeName == node {
			pods = append(pods, p)
		}
	}
	return pods, nil
}
