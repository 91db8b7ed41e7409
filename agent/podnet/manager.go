package podnet

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// retryBackoff spaces the retries of a failed node list or route sync:
// 1 s, doubling up to 30 s, with 10 % jitter so a cluster's agents do not
// retry in step after a control-plane restart; a success starts it over.
var retryBackoff = wait.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: math.MaxInt32, Cap: 30 * time.Second}

// NodeSource is where the agent reads the cluster's nodes: the HTTP client
// (apiclient.Nodes) or a fake.
type NodeSource interface {
	// ListNodes returns every node and the store's resourceVersion.
	ListNodes(ctx context.Context) ([]*corev1.Node, uint64, error)
	// WaitNodes returns when a node may have changed after afterRV (a long
	// poll; nil after a bounded wait too).
	WaitNodes(ctx context.Context, afterRV uint64) error
}

// PodCIDR waits until node self has a podCIDR (the controller assigns it
// when the node registers) and returns it.
func PodCIDR(ctx context.Context, src NodeSource, self string, log *slog.Logger) (string, error) {
	backoff := retryBackoff
	for {
		nodes, rv, err := src.ListNodes(ctx)
		if err == nil {
			for _, n := range nodes {
				if n.Name == self && n.Spec.PodCIDR != "" {
					return n.Spec.PodCIDR, nil
				}
			}
			err = src.WaitNodes(ctx, rv)
		}
		if ctx.Err() != nil {
			return "", fmt.Errorf("waiting for node %s's podCIDR: %w", self, ctx.Err())
		}
		if err != nil {
			d := backoff.Step()
			log.Warn("pod network: listing nodes failed; retrying", "in", d, "err", err)
			ctxwait.Sleep(ctx, d)
		} else {
			backoff = retryBackoff
		}
	}
}

// KeepPeers keeps the node's routes (and, with an overlay, its neighbour
// and FDB entries) to the other nodes' pod subnets in dp until ctx ends,
// following node changes.
func KeepPeers(ctx context.Context, src NodeSource, dp Dataplane, self string, backend Backend, log *slog.Logger) {
	var last string
	backoff := retryBackoff
	for ctx.Err() == nil {
		nodes, rv, err := src.ListNodes(ctx)
		if err == nil {
			peers := Peers(nodes, self)
			want := DesiredState(peers, backend, onLinkPeers(ctx, dp, peers, backend))
			if err = SyncState(ctx, dp, want); err == nil && fmt.Sprint(want.Routes) != last {
				last = fmt.Sprint(want.Routes)
				log.Info("pod network: routes to other nodes", "backend", backend, "routes", last)
			}
			if err == nil {
				err = src.WaitNodes(ctx, rv)
			}
		}
		if err != nil && ctx.Err() == nil {
			d := backoff.Step()
			log.Warn("pod network: syncing routes failed; retrying", "in", d, "err", err)
			ctxwait.Sleep(ctx, d)
		} else {
			backoff = retryBackoff
		}
	}
}

// onLinkPeers asks the kernel which peers are on-link (Auto only). A peer
// the kernel has no route to counts as not on-link: the overlay is the
// only path that can work once a route appears.
func onLinkPeers(ctx context.Context, dp Dataplane, peers []Peer, backend Backend) map[string]bool {
	if backend != Auto {
		return nil
	}
	out := map[string]bool{}
	for _, p := range peers {
		out[p.IP], _ = dp.OnLink(ctx, p.IP)
	}
	return out
}
