package hollow

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"time"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Runtime is an agent.Runtime that keeps pods and containers in memory:
// the container engine of a simulated node. The real agent runs on it
// unchanged (its sync, status, back-off, graceful deletion), so what the
// controller sees is what a real agent sends.
type Runtime struct {
	behaviour Behaviour
	now       func() time.Time
	// podCIDR returns the node's pod subnet (asked once, when the first
	// pod needs an address: the controller assigns it at registration).
	podCIDR func(ctx context.Context) (string, error)

	mu      sync.Mutex
	cidr    netip.Prefix
	used    map[netip.Addr]bool
	pods    map[string]*simPod // by ID
	serial  int
	changes chan struct{}
}

type simPod struct {
	id, name   string
	labels     map[string]string
	created    time.Time
	ip         netip.Addr
	containers []*simContainer
}

type simContainer struct {
	id, podmanName, image  string
	labels                 map[string]string
	created, started       time.Time
	exitAt                 time.Time // zero: runs until stopped
	stoppedAt              time.Time // zero: not stopped
	exitCode, stopExitCode int32
}

var _ agent.Runtime = (*Runtime)(nil)

// NewRuntime makes the in-memory runtime of one simulated node. podCIDR
// gives the node's pod subnet; now defaults to time.Now.
func NewRuntime(b Behaviour, podCIDR func(ctx context.Context) (string, error), now func() time.Time) *Runtime {
	if now == nil {
		now = time.Now
	}
	return &Runtime{behaviour: b.withDefaults(), now: now, podCIDR: podCIDR,
		used: map[netip.Addr]bool{}, pods: map[string]*simPod{}, changes: make(chan struct{}, 1)}
}

// Version is reported as the node's container runtime version.
func (r *Runtime) Version() string { return "simulated://" + agent.BuildVersion() }

// Changes wakes the agent's sync when a container exits on its own (the
// Podman runtime's event stream does the same), so crashes are seen at once.
func (r *Runtime) Changes(ctx context.Context) <-chan struct{} { return r.changes }

func (r *Runtime) notify() {
	select {
	case r.changes <- struct{}{}:
	default:
	}
}

// List returns every pod with its containers' states as of now.
func (r *Runtime) List(ctx context.Context) ([]agent.ObservedPod, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	out := make([]agent.ObservedPod, 0, len(r.pods))
	for _, p := range r.pods {
		op := agent.ObservedPod{ID: p.id, Name: p.name, Key: p.labels[objects.LabelPodmanPod], UID: p.labels[objects.LabelPodmanUID],
			PodSpec: p.labels[agent.LabelPodSpec], SandboxHash: p.labels[agent.LabelSandbox], Created: p.created}
		if p.ip.IsValid() {
			op.IP = p.ip.String()
		}
		for _, c := range p.containers {
			op.Containers = append(op.Containers, c.observed(now))
		}
		out = append(out, op)
	}
	return out, nil
}

// observed is the container as Podman would list it at now.
func (c *simContainer) observed(now time.Time) agent.ObservedContainer {
	var attempt int
	fmt.Sscan(c.labels[agent.LabelAttempt], &attempt)
	oc := agent.ObservedContainer{ID: c.id, Name: c.labels[objects.LabelPodmanContainer], PodmanName: c.podmanName, Attempt: attempt,
		SpecHash: c.labels[agent.LabelSpecHash], Image: c.image, ImageID: "sha256:simulated", State: "running",
		Created: c.created, StartedAt: c.started}
	switch {
	case !c.stoppedAt.IsZero() && (c.exitAt.IsZero() || c.stoppedAt.Before(c.exitAt)):
		oc.State, oc.FinishedAt, oc.ExitCode, oc.StoppedOutside = "exited", c.stoppedAt, c.stopExitCode, true
	case !c.exitAt.IsZero() && !now.Before(c.exitAt):
		oc.State, oc.FinishedAt, oc.ExitCode = "exited", c.exitAt, c.exitCode
	}
	return oc
}

// CreatePod gives the pod an address of the node's pod subnet (none on the
// host's network).
func (r *Runtime) CreatePod(ctx context.Context, cfg agent.PodConfig) (string, error) {
	if err := r.ensureCIDR(ctx, cfg.HostNetwork); err != nil {
		return "", err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := &simPod{name: cfg.Name, labels: cfg.Labels, created: r.now()}
	if !cfg.HostNetwork {
		ip, err := freeAddr(r.cidr, r.used)
		if err != nil {
			return "", err
		}
		r.used[ip], p.ip = true, ip
	}
	r.serial++
	p.id = fmt.Sprintf("pod%012x", r.serial)
	r.pods[p.id] = p
	return p.id, nil
}

func (r *Runtime) ensureCIDR(ctx context.Context, hostNetwork bool) error {
	r.mu.Lock()
	known := r.cidr.IsValid()
	r.mu.Unlock()
	if known || hostNetwork {
		return nil
	}
	s, err := r.podCIDR(ctx)
	if err != nil {
		return fmt.Errorf("simulated node: its pod CIDR: %w", err)
	}
	cidr, err := netip.ParsePrefix(s)
	if err != nil {
		return fmt.Errorf("simulated node: pod CIDR %q: %w", s, err)
	}
	r.mu.Lock()
	r.cidr = cidr
	r.mu.Unlock()
	return nil
}

// ImagePresent says yes: a simulated node has every image.
func (r *Runtime) ImagePresent(ctx context.Context, image string) (bool, error) { return true, nil }

// PullImage pulls nothing.
func (r *Runtime) PullImage(ctx context.Context, image string, auth *agent.RegistryAuth) error {
	return nil
}

// RunContainer starts the container as its pod's fate says: at once, after
// SlowStart, exiting 1 at once or after CrashAfter.
func (r *Runtime) RunContainer(ctx context.Context, cfg agent.ContainerConfig) (string, error) {
	fate := FateOf(cfg.Labels[objects.LabelPodmanUID], r.behaviour)
	if fate == FateSlow && !ctxwait.Sleep(ctx, r.behaviour.SlowStart) {
		return "", fmt.Errorf("%w: starting %s: %v", agent.ErrRunContainer, cfg.Name, ctx.Err())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.findPod(cfg.Pod)
	if p == nil {
		return "", fmt.Errorf("%w: pod %s not found", agent.ErrRunContainer, cfg.Pod)
	}
	now := r.now()
	r.serial++
	c := &simContainer{id: fmt.Sprintf("ctr%012x", r.serial), podmanName: cfg.Name, image: cfg.Image, labels: cfg.Labels, created: now, started: now}
	switch fate {
	case FateFail:
		c.exitAt, c.exitCode = now, 1
	case FateCrash:
		c.exitAt, c.exitCode = now.Add(r.behaviour.CrashAfter), 1
		time.AfterFunc(r.behaviour.CrashAfter, r.notify)
	}
	p.containers = append(p.containers, c)
	return c.id, nil
}

func (r *Runtime) findPod(nameOrID string) *simPod {
	if p := r.pods[nameOrID]; p != nil {
		return p
	}
	for _, p := range r.pods {
		if p.name == nameOrID {
			return p
		}
	}
	return nil
}

// StopContainer stops it at once: a simulated process honours SIGTERM
// (exit code 143, as a shell's).
func (r *Runtime) StopContainer(ctx context.Context, id string, timeout time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pods {
		for _, c := range p.containers {
			if c.id == id {
				r.stop(c)
				return nil
			}
		}
	}
	return fmt.Errorf("container %s not found", id)
}

func (r *Runtime) stop(c *simContainer) {
	if c.stoppedAt.IsZero() {
		c.stoppedAt, c.stopExitCode = r.now(), 143
	}
}

// RemoveContainer forgets the container.
func (r *Runtime) RemoveContainer(ctx context.Context, id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range r.pods {
		for i, c := range p.containers {
			if c.id == id {
				p.containers = append(p.containers[:i], p.containers[i+1:]...)
				return nil
			}
		}
	}
	return nil
}

// Exec succeeds: exec probes of simulated containers pass.
func (r *Runtime) Exec(ctx context.Context, containerID string, cmd []string) (int, string, error) {
	return 0, "", nil
}

// Logs writes nothing: simulated containers print nothing.
func (r *Runtime) Logs(ctx context.Context, containerID string, opts agent.LogOptions, w io.Writer) error {
	return nil
}

// StopPod stops every container of the pod.
func (r *Runtime) StopPod(ctx context.Context, id string, timeout time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.findPod(id); p != nil {
		for _, c := range p.containers {
			r.stop(c)
		}
	}
	return nil
}

// RemovePod removes the pod and frees its address.
func (r *Runtime) RemovePod(ctx context.Context, id string, timeout time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if p := r.findPod(id); p != nil {
		delete(r.used, p.ip)
		delete(r.pods, p.id)
	}
	return nil
}
