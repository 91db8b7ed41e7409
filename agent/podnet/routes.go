package podnet

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// RouteProto marks the routes the agent owns (see `ip route show proto 147`).
const RouteProto = "147"

// Route sends a pod subnet to the node holding it.
type Route struct {
	Dst string // pod subnet, e.g. 10.244.1.0/24
	Via string // that node's InternalIP
}

func (r Route) String() string { return r.Dst + " via " + r.Via }

// DesiredRoutes are the routes node self needs: every other node's podCIDR
// through its InternalIP. Nodes without either are left out (they have not
// registered fully yet). It is pure; the result is sorted.
func DesiredRoutes(nodes []*corev1.Node, self string) []Route {
	var out []Route
	for _, n := range nodes {
		if n.Name == self || n.Spec.PodCIDR == "" {
			continue
		}
		ip := InternalIP(n)
		if ip == "" {
			continue
		}
		if _, err := netip.ParsePrefix(n.Spec.PodCIDR); err != nil {
			continue
		}
		out = append(out, Route{Dst: n.Spec.PodCIDR, Via: ip})
	}
	slices.SortFunc(out, func(a, b Route) int { return cmp.Compare(a.Dst, b.Dst) })
	return out
}

// InternalIP is the node's InternalIP address, "" when it has none.
func InternalIP(n *corev1.Node) string {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP {
			return a.Address
		}
	}
	return ""
}

// PlanRoutes compares the routes wanted with those present (ours only) and
// returns what to replace and what to delete. It is pure.
func PlanRoutes(want, have []Route) (replace, remove []Route) {
	present := map[Route]bool{}
	for _, r := range have {
		present[r] = true
	}
	wanted := map[string]bool{}
	for _, r := range want {
		wanted[r.Dst] = true
		if !present[r] {
			replace = append(replace, r)
		}
	}
	for _, r := range have {
		if !wanted[r.Dst] {
			remove = append(remove, r)
		}
	}
	return replace, remove
}

// RouteTable is where routes go: the kernel (IPRoute) or a fake.
type RouteTable interface {
	List(ctx context.Context) ([]Route, error)
	Replace(ctx context.Context, r Route) error
	Delete(ctx context.Context, r Route) error
}

// IPRoute is the kernel's main table through the ip command, limited to
// routes with protocol RouteProto.
type IPRoute struct {
	// Command runs ip; default ["ip"]. Tests prefix it with
	// nsenter --net=/run/netns/NAME to work in a private namespace.
	Command []string
}

func (t IPRoute) run(ctx context.Context, args ...string) (string, error) {
	cmd := append([]string{}, t.Command...)
	if len(cmd) == 0 {
		cmd = []string{"ip"}
	}
	cmd = append(cmd, args...)
	out, err := exec.CommandContext(ctx, cmd[0], cmd[1:]...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("%s: %v: %s", strings.Join(cmd, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// List returns the routes the agent made.
func (t IPRoute) List(ctx context.Context) ([]Route, error) {
	out, err := t.run(ctx, "-4", "-o", "route", "show", "proto", RouteProto)
	if err != nil {
		return nil, err
	}
	return parseRoutes(out), nil
}

// parseRoutes reads `ip -o route` lines: "10.244.1.0/24 via 10.0.0.2 dev eth0 ...".
func parseRoutes(out string) []Route {
	var rs []Route
	for _, line := range strings.Split(out, "\n") {
		f := strings.Fields(line)
		if len(f) >= 3 && f[1] == "via" {
			rs = append(rs, Route{Dst: f[0], Via: f[2]})
		}
	}
	return rs
}

// Replace adds or changes a route.
func (t IPRoute) Replace(ctx context.Context, r Route) error {
	_, err := t.run(ctx, "route", "replace", r.Dst, "via", r.Via, "proto", RouteProto)
	return err
}

// Delete removes a route the agent made.
func (t IPRoute) Delete(ctx context.Context, r Route) error {
	_, err := t.run(ctx, "route", "del", r.Dst, "via", r.Via, "proto", RouteProto)
	return err
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
