package agent

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	nettypes "github.com/containers/common/libnetwork/types"
	"github.com/containers/podman/v5/pkg/specgen"
	spec "github.com/opencontainers/runtime-spec/specs-go"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent/libpod"
	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// PodmanRuntime is the Runtime over a Podman API service (Podman ≥ 4.3,
// through the v5 Go bindings' connection and package agent/libpod's calls
// of the libpod API). Only options the 4.3 service understands are used;
// see podman_test.go for the checks against a real service.
type PodmanRuntime struct {
	api     *libpod.Client
	uri     string
	cluster string // the reconcile.cluster label of every object it lists or creates

	mu      sync.Mutex
	infraIP map[string]string    // infra container ID@start time → pod IP; an address lasts as long as the infra process
	exits   map[string]exitWatch // container ID → what the event stream said about its end (podman_stops.go)
	oom     map[string]bool      // exited container ID → killed by the OOM killer (an exited container never changes)
	// onError is told of every failed API call (OnAPIError; nil: nobody).
	onError func(operation string)
}

// NewPodmanRuntime connects to the service at uri (unix:///path.sock) and
// checks that it answers. clusterID is the cluster's ID (package
// reconcile/clusterid): the runtime lists only pods and containers labelled
// reconcile.cluster=<clusterID> and labels everything it creates so, which
// keeps two installations on one host (and hand-made pods) apart.
func NewPodmanRuntime(ctx context.Context, uri, clusterID string) (*PodmanRuntime, error) {
	if clusterID == "" {
		return nil, errors.New("Podman runtime: a cluster ID is required: the agent only touches its own cluster's pods")
	}
	api, err := libpod.Connect(context.WithoutCancel(ctx), uri)
	if err != nil {
		return nil, fmt.Errorf("connecting to the Podman service at %s: %w (is `podman system service` running there?)", uri, err)
	}
	return &PodmanRuntime{api: api, uri: uri, cluster: clusterID, infraIP: map[string]string{}, oom: map[string]bool{}}, nil
}

// Ping asks the service for GET /_ping: nil when it answers OK.
func (r *PodmanRuntime) Ping(ctx context.Context) (err error) {
	defer r.countError("ping", &err)
	return r.api.Ping(ctx)
}

// Endpoint is the service's URI, for messages.
func (r *PodmanRuntime) Endpoint() string { return r.uri }

// ClusterID is the cluster whose Podman objects this runtime manages.
func (r *PodmanRuntime) ClusterID() string { return r.cluster }

// managedFilter selects the cluster's managed objects: Podman ANDs the
// label filters (reconcile.uid present, reconcile.cluster=<id>).
func (r *PodmanRuntime) managedFilter() map[string][]string {
	return map[string][]string{"label": {objects.LabelPodmanUID, LabelCluster + "=" + r.cluster}}
}

// withCluster adds the cluster label to a copy of labels.
func (r *PodmanRuntime) withCluster(labels map[string]string) map[string]string {
	out := make(map[string]string, len(labels)+1)
	for k, v := range labels {
		out[k] = v
	}
	out[LabelCluster] = r.cluster
	return out
}

// List returns managed pods (by the reconcile.uid and reconcile.cluster
// labels) with their containers.
func (r *PodmanRuntime) List(ctx context.Context) (_ []ObservedPod, err error) {
	defer r.countError("list", &err)
	podList, err := r.api.ListPods(ctx, r.managedFilter())
	if err != nil {
		return nil, fmt.Errorf("listing Podman pods: %w", err)
	}
	ctrs, err := r.api.ListContainers(ctx, r.managedFilter())
	if err != nil {
		return nil, fmt.Errorf("listing Podman containers: %w", err)
	}
	byPod := map[string][]ObservedContainer{}
	infra := map[string]libpod.Container{} // by pod ID; infra containers carry the pod's labels
	for _, lc := range ctrs {
		if lc.Labels[LabelCluster] != r.cluster {
			continue
		}
		if lc.IsInfra {
			infra[lc.Pod] = lc
		}
		if lc.Labels[objects.LabelPodmanContainer] == "" {
			continue
		}
		oc := observedContainer(lc)
		if oc.Exited() && oc.ExitCode == 137 {
			oc.OOMKilled = r.oomKilled(ctx, oc.ID)
		}
		if oc.Exited() {
			oc.StoppedOutside, oc.Settling = r.exitFacts(oc.ID, oc.FinishedAt, time.Now())
		}
		byPod[lc.Pod] = append(byPod[lc.Pod], oc)
	}
	r.pruneIPCache(infra)
	r.pruneContainerCaches(ctrs)
	var out []ObservedPod
	for _, p := range podList {
		grace, _ := strconv.Atoi(p.Labels[LabelGrace])
		if p.Labels[LabelCluster] != r.cluster { // the filter did it; this makes sure
			continue
		}
		op := ObservedPod{ID: p.ID, Name: p.Name, Key: p.Labels[objects.LabelPodmanPod], UID: p.Labels[objects.LabelPodmanUID],
			PodSpec: p.Labels[LabelPodSpec], SandboxHash: p.Labels[LabelSandbox], Created: p.Created, Grace: time.Duration(grace) * time.Second, Containers: byPod[p.ID]}
		if ic, ok := infra[p.ID]; ok && ic.State == "running" {
			op.IP = r.podIP(ctx, ic)
		}
		slices.SortFunc(op.Containers, func(a, b ObservedContainer) int { return cmp.Compare(a.PodmanName, b.PodmanName) })
		out = append(out, op)
	}
	return out, nil
}

func observedContainer(lc libpod.Container) ObservedContainer {
	attempt, _ := strconv.Atoi(lc.Labels[LabelAttempt])
	oc := ObservedContainer{ID: lc.ID, Name: lc.Labels[objects.LabelPodmanContainer], Attempt: attempt,
		SpecHash: lc.Labels[LabelSpecHash], Image: lc.Image, ImageID: lc.ImageID, State: lc.State,
		ExitCode: lc.ExitCode, Created: lc.Created}
	if len(lc.Names) > 0 {
		oc.PodmanName = lc.Names[0]
	}
	if lc.StartedAt > 0 {
		oc.StartedAt = time.Unix(lc.StartedAt, 0).UTC()
	}
	if lc.ExitedAt > 0 && !oc.Running() {
		oc.FinishedAt = time.Unix(lc.ExitedAt, 0).UTC()
	}
	return oc
}

// podIP inspects a running infra container once per start; a restarted
// infra (a stopped pod started again) may get a new address.
func (r *PodmanRuntime) podIP(ctx context.Context, infra libpod.Container) string {
	key := fmt.Sprintf("%s@%d", infra.ID, infra.StartedAt)
	r.mu.Lock()
	ip, ok := r.infraIP[key]
	r.mu.Unlock()
	if ok {
		return ip
	}
	data, err := r.api.InspectContainer(ctx, infra.ID)
	if err != nil || data.NetworkSettings == nil || data.State == nil || !data.State.Running {
		return "" // not started yet: ask again next time
	}
	ip = data.NetworkSettings.IPAddress
	for _, n := range data.NetworkSettings.Networks {
		if ip == "" && n != nil {
			ip = n.IPAddress
		}
	}
	if ip != "" {
		r.mu.Lock()
		r.infraIP[key] = ip
		r.mu.Unlock()
	}
	return ip
}

// pruneIPCache forgets the addresses of infra containers that are gone.
// pruneContainerCaches forgets what the OOM and exit caches hold about
// containers that are gone.
func (r *PodmanRuntime) pruneContainerCaches(ctrs []libpod.Container) {
	live := make(map[string]bool, len(ctrs))
	for _, lc := range ctrs {
		live[lc.ID] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	maps.DeleteFunc(r.oom, func(id string, _ bool) bool { return !live[id] })
	maps.DeleteFunc(r.exits, func(id string, _ exitWatch) bool { return !live[id] })
}

func (r *PodmanRuntime) pruneIPCache(infra map[string]libpod.Container) {
	live := map[string]bool{}
	for _, ic := range infra {
		live[fmt.Sprintf("%s@%d", ic.ID, ic.StartedAt)] = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	maps.DeleteFunc(r.infraIP, func(k string, _ string) bool { return !live[k] })
}

// CreatePod creates and starts a pod with an infra container holding the shared network
// namespace; the infra image is Podman's locally built pause image.
func (r *PodmanRuntime) CreatePod(ctx context.Context, cfg PodConfig) (_ string, err error) {
	defer r.countError("create_pod", &err)
	ps := specgen.PodSpecGenerator{}
	ps.Name = cfg.Name
	ps.Hostname = cfg.Hostname
	ps.Labels = r.withCluster(cfg.Labels)
	for _, p := range cfg.Ports {
		ps.PortMappings = append(ps.PortMappings, portMapping(p))
	}
	podNetworkSpec(&ps, cfg)
	podNamespaceSpec(&ps, cfg)
	ps.ResourceLimits = linuxResources(cfg.Resources)
	ps.Sysctl = cfg.Sysctls
	id, err := r.api.CreatePod(ctx, &ps)
	if err != nil {
		return "", fmt.Errorf("creating Podman pod %s: %w", cfg.Name, err)
	}
	// Start the infra container now: the pod's address exists before the
	// first container, which may want it as status.podIP.
	if err := r.api.StartPod(ctx, id); err != nil {
		return id, fmt.Errorf("starting the infra container of Podman pod %s: %w", cfg.Name, err)
	}
	return id, nil
}

// ImagePresent says whether the image is in Podman's storage.
func (r *PodmanRuntime) ImagePresent(ctx context.Context, image string) (_ bool, err error) {
	defer r.countError("image_exists", &err)
	ok, err := r.api.ImageExists(ctx, image)
	if err != nil {
		return false, fmt.Errorf("checking image %s: %w", image, err)
	}
	return ok, nil
}

// PullImage pulls through the Podman service; auth travels as the pull's
// X-Registry-Auth header, so no credential is written to disk. A registry
// that speaks plain HTTP must be marked insecure in the registries.conf of
// the Podman service (README, "Private registries").
func (r *PodmanRuntime) PullImage(ctx context.Context, image string, auth *RegistryAuth) (err error) {
	defer r.countError("pull_image", &err)
	var creds *libpod.Auth
	if auth != nil {
		creds = &libpod.Auth{Username: auth.Username, Password: auth.Password}
	}
	return r.api.PullImage(ctx, image, creds)
}

// RunContainer creates the container in its pod and starts it.
func (r *PodmanRuntime) RunContainer(ctx context.Context, cfg ContainerConfig) (_ string, err error) {
	defer r.countError("run_container", &err)
	s := &specgen.SpecGenerator{}
	s.Name = cfg.Name
	s.Pod = cfg.Pod
	s.Image = cfg.Image
	s.Entrypoint = cfg.Entrypoint
	s.Command = cfg.Command
	s.Env = cfg.Env
	s.WorkDir = cfg.WorkDir
	s.Labels = r.withCluster(cfg.Labels)
	s.ResourceLimits = linuxResources(cfg.Resources)
	containerNamespaceSpec(s, cfg)
	securitySpec(s, cfg.Security)
	if cfg.StopGrace > 0 {
		t := uint(cfg.StopGrace / time.Second)
		s.StopTimeout = &t
	}
	for _, m := range cfg.Mounts {
		if m.Volume != "" {
			if err := r.ensureVolume(ctx, m.Volume, cfg.FSGroup); err != nil {
				return "", err
			}
			if cfg.FSGroup != nil {
				if err := r.ownVolume(ctx, m.Volume, *cfg.FSGroup); err != nil {
					return "", withReason(ErrRunContainer, "%v", err)
				}
			}
			var opts []string
			if m.ReadOnly {
				opts = append(opts, "ro")
			}
			s.Volumes = append(s.Volumes, &specgen.NamedVolume{Name: m.Volume, Dest: m.Destination, Options: opts})
			continue
		}
		opts := []string{"rbind"}
		if m.ReadOnly {
			opts = append(opts, "ro")
		}
		s.Mounts = append(s.Mounts, spec.Mount{Type: "bind", Source: m.Source, Destination: m.Destination, Options: opts})
	}
	created, err := r.api.CreateContainer(ctx, s)
	if err != nil && strings.Contains(err.Error(), "cgroup is not set") {
		// The pod's infra container is not running (its start failed or
		// it died), so the pod has no cgroup yet: start the pod and try
		// once more, rather than back off on a pod that can never work.
		if serr := r.api.StartPod(ctx, cfg.Pod); serr == nil {
			created, err = r.api.CreateContainer(ctx, s)
		}
	}
	if err != nil {
		return "", withReason(ErrRunContainer, "creating container %s: %v", cfg.Name, err)
	}
	if err := r.api.StartContainer(ctx, created); err != nil {
		_ = r.api.RemoveContainer(ctx, created, false)
		return "", withReason(ErrRunContainer, "starting container %s: %v", cfg.Name, err)
	}
	return created, nil
}

// StopContainer stops with SIGTERM and SIGKILL after timeout; a container
// that is already gone or stopped is not an error.
func (r *PodmanRuntime) StopContainer(ctx context.Context, id string, timeout time.Duration) (err error) {
	defer r.countError("stop_container", &err)
	t := uint(timeout / time.Second)
	err = r.api.StopContainer(ctx, id, t)
	if err != nil && !isNoSuch(err) {
		return fmt.Errorf("stopping container %s: %w", id, err)
	}
	return nil
}

// RemoveContainer removes a container, killing it first if it runs.
func (r *PodmanRuntime) RemoveContainer(ctx context.Context, id string) (err error) {
	defer r.countError("remove_container", &err)
	err = r.api.RemoveContainer(ctx, id, true)
	if err != nil && !isNoSuch(err) {
		return fmt.Errorf("removing container %s: %w", id, err)
	}
	return nil
}

// StopPod stops the pod's containers in parallel: SIGTERM (each
// container's stop signal), SIGKILL after timeout.
func (r *PodmanRuntime) StopPod(ctx context.Context, id string, timeout time.Duration) (err error) {
	defer r.countError("stop_pod", &err)
	secs := int(timeout / time.Second)
	if err := r.api.StopPod(ctx, id, secs); err != nil && !isNoSuch(err) {
		return fmt.Errorf("stopping Podman pod %s: %w", id, err)
	}
	return nil
}

// RemovePod stops the pod (SIGTERM to every container, SIGKILL after the
// timeout) and removes it with its containers.
func (r *PodmanRuntime) RemovePod(ctx context.Context, id string, timeout time.Duration) (err error) {
	defer r.countError("remove_pod", &err)
	secs := int(timeout / time.Second)
	if err := r.api.StopPod(ctx, id, secs); err != nil && !isNoSuch(err) {
		return fmt.Errorf("stopping Podman pod %s: %w", id, err)
	}
	if err := r.api.RemovePod(ctx, id); err != nil && !isNoSuch(err) {
		return fmt.Errorf("removing Podman pod %s: %w", id, err)
	}
	return nil
}

func isNoSuch(err error) bool { return libpod.IsNotFound(err) }

// Changes reports (coalesced) when a managed container died, so the agent
// restarts it without waiting for its next resync. It follows the service's
// event stream and subscribes again when the stream ends (a service
// restart). It also reads from the stream whether a container was stopped
// by hand (podman_stops.go): a death wakes the agent once that is settled.
func (r *PodmanRuntime) Changes(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	wake := func() {
		select {
		case out <- struct{}{}:
		default: // a wake-up is already pending
		}
	}
	// Podman 4.3 matches a label filter only as key=value, so the
	// reconcile.uid label is checked here instead.
	filters := map[string][]string{"type": {"container"}, "event": {"died", "cleanup", "stop", "kill", "start"}}
	go func() {
		for ctx.Err() == nil {
			_ = r.api.Events(ctx, filters, func(e libpod.Event) {
				if e.Actor.Attributes[objects.LabelPodmanUID] == "" || e.Actor.Attributes[LabelCluster] != r.cluster {
					return
				}
				status := eventStatus(e)
				at := time.Now()
				if e.TimeNano != 0 {
					at = time.Unix(0, e.TimeNano)
				}
				if r.noteExitEvent(e.Actor.ID, status, at) {
					wake()
				}
				if status == "died" {
					wake()
					time.AfterFunc(exitSettleTime, wake) // settled by then: crash or drift
				}
			})
			ctxwait.Sleep(ctx, time.Second)
		}
	}()
	return out
}

// Version asks the service for its version, for the node's runtime version.
func (r *PodmanRuntime) Version() string {
	if v := r.api.ServiceVersion(); v != "" {
		return "podman://" + v
	}
	return "podman://unknown"
}

func portMapping(p PortMapping) nettypes.PortMapping {
	proto := p.Protocol
	if proto == "" {
		proto = "tcp"
	}
	return nettypes.PortMapping{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: proto, Range: 1}
}

// Images lists the node's images for status.images: every tag and digest
// as a name, with the image's size.
func (r *PodmanRuntime) Images(ctx context.Context) (_ []corev1.ContainerImage, err error) {
	defer r.countError("list_images", &err)
	list, err := r.api.ListImages(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	out := make([]corev1.ContainerImage, 0, len(list))
	for _, im := range list {
		names := append(slices.Clone(im.RepoTags), im.RepoDigests...)
		out = append(out, corev1.ContainerImage{Names: names, SizeBytes: im.Size})
	}
	return out, nil
}

// OnAPIError sets f to be called with the operation's name (list,
// create_pod, run_container, …) for every Podman API call that fails
// (agent/agentmetrics counts them); a call cancelled by its context is not
// a failure. Set it before the runtime is used.
func (r *PodmanRuntime) OnAPIError(f func(operation string)) { r.onError = f }

// countError reports *err to the OnAPIError function (deferred by each API call).
func (r *PodmanRuntime) countError(op string, err *error) {
	if r.onError != nil && *err != nil && !errors.Is(*err, context.Canceled) && !errors.Is(*err, context.DeadlineExceeded) {
		r.onError(op)
	}
}
