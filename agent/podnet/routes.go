package podnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// InternalIP is the node's InternalIP address, "" when it has none.
func InternalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// RouteTable is where routes go: the kernel (Netlink) or a fake.
type RouteTable interface {
	List(ctx context.Context) ([]Route, error)
	Replace(ctx context.Context, r Route) error
	Delete(ctx context.Context, r Route) error
}

// SyncRoutes makes table hold exactly want (among the agent's routes).
func SyncRoutes(ctx context.Context, table RouteTable, want []Route) error {
	have, err := table.List(ctx)
	if err != nil {
		return err
	}
	replace, remove := PlanRoutes(want, have)
	var errs []string
	for _, r := range replace {
		if err := table.Replace(ctx, r); err != nil {
			errs = append(errs, err.Error())
		}
	}
	for _, r := range remove {
		if err := table.Delete(ctx, r); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("pod routes: %s (is the other node's address reachable on a directly connected network?)", strings.Join(errs, "; "))
	}
	return nil
}

// Observe reads the state the agent keeps in dp.
func Observe(ctx context.Context, dp Dataplane) (State, error) {
	var s State
	var err1, err2, err3 error
	s.Routes, err1 = dp.List(ctx)
	s.Neighbours, err2 = dp.ListNeighbours(ctx)
	s.FDB, err3 = dp.ListFDB(ctx)
	return s, errors.Join(err1, err2, err3)
}

// Apply carries out plan on dp in flannel's order: stale routes first,
// then stale FDB and neighbour entries; then new neighbour and FDB
// entries before the routes that use them. It goes on past a failure and
// returns them all.
func Apply(ctx context.Context, dp Dataplane, plan Plan) error {
	var errs []error
	do := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	for _, r := range plan.Routes.Delete {
		do(dp.Delete(ctx, r))
	}
	for _, f := range plan.FDB.Delete {
		do(dp.DeleteFDB(ctx, f))
	}
	for _, n := range plan.Neighbours.Delete {
		do(dp.DeleteNeighbour(ctx, n))
	}
	for _, n := range plan.Neighbours.Replace {
		do(dp.ReplaceNeighbour(ctx, n))
	}
	for _, f := range plan.FDB.Replace {
		do(dp.ReplaceFDB(ctx, f))
	}
	for _, r := range plan.Routes.Replace {
		do(dp.Replace(ctx, r))
	}
	if len(errs) > 0 {
		return fmt.Errorf("pod network: %w (a host-gw route needs the other node on a directly connected network; the overlay needs UDP %d between nodes)", errors.Join(errs...), VXLANPort)
	}
	return nil
}

// SyncState makes dp hold exactly want among the agent's entries.
func SyncState(ctx context.Context, dp Dataplane, want State) error {
	have, err := Observe(ctx, dp)
	if err != nil {
		return err
	}
	return Apply(ctx, dp, PlanState(want, have))
}

// EnableForwarding turns on IPv4 forwarding in the agent's network
// namespace: pod traffic to other nodes and to the bridge is routed.
func EnableForwarding() error {
	const path = "/proc/sys/net/ipv4/ip_forward"
	if b, err := os.ReadFile(path); err == nil && strings.TrimSpace(string(b)) == "1" {
		return nil
	}
	if err := os.WriteFile(path, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enabling IPv4 forwarding (%s): %w; the agent must run as root", path, err)
	}
	return nil
}
