package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Runtime is the container engine as the agent sees it: a small surface over
// Podman (PodmanRuntime) that tests can also drive against the real service.
// Everything it lists carries the reconcile.* labels and its own cluster's
// reconcile.cluster label; it never touches Podman objects without them, and
// everything it creates carries them.
type Runtime interface {
	// List returns the managed pods with their containers (all states).
	List(ctx context.Context) ([]ObservedPod, error)
	// CreatePod creates a Podman pod and starts its infra container.
	CreatePod(ctx context.Context, cfg PodConfig) (id string, err error)
	// ImagePresent says whether the image is in local storage.
	ImagePresent(ctx context.Context, image string) (bool, error)
	// PullImage pulls the image from its registry, with auth when not nil.
	// The agent applies the pull policy (pull.go) and wraps a failure in
	// ErrImagePull.
	PullImage(ctx context.Context, image string, auth *RegistryAuth) error
	// RunContainer creates a container in its pod and starts it. When the
	// start fails the created container is removed again.
	RunContainer(ctx context.Context, cfg ContainerConfig) (id string, err error)
	// StopContainer sends SIGTERM, then SIGKILL after timeout.
	StopContainer(ctx context.Context, id string, timeout time.Duration) error
	// RemoveContainer removes a container, killing it if it still runs.
	RemoveContainer(ctx context.Context, id string) error
	// Exec runs a command in a running container (exec probes) and returns
	// its exit code and combined output (cut to a few KiB).
	Exec(ctx context.Context, containerID string, cmd []string) (exitCode int, output string, err error)
	// Logs writes a container's output (stdout and stderr as they came) to
	// w; with Follow it keeps writing until the container stops or ctx ends.
	Logs(ctx context.Context, containerID string, opts LogOptions, w io.Writer) error
	// StopPod stops every container of the pod at once: SIGTERM, then
	// SIGKILL after timeout (0 kills at once). The pod and its containers stay.
	StopPod(ctx context.Context, id string, timeout time.Duration) error
	// RemovePod stops the pod's containers (SIGTERM, SIGKILL after timeout)
	// and removes the pod with all its containers.
	RemovePod(ctx context.Context, id string, timeout time.Duration) error
}

// Errors the agent's image pull and RunContainer wrap; the agent maps them to the
// Kubernetes waiting reasons of the same names.
var (
	ErrImagePull      = errors.New("ErrImagePull")
	ErrImageNeverPull = errors.New("ErrImageNeverPull")
	ErrRunContainer   = errors.New("RunContainerError")
)

// reasonError is an error whose text is for people and whose Unwrap is one of
// the sentinels above, so status messages do not repeat the reason.
type reasonError struct {
	reason error
	msg    string
}

func (e *reasonError) Error() string { return e.msg }
func (e *reasonError) Unwrap() error { return e.reason }

func withReason(reason error, format string, args ...any) error {
	return &reasonError{reason: reason, msg: fmt.Sprintf(format, args...)}
}

// PodConfig is a Podman pod to create.
type PodConfig struct {
	Name     string
	Hostname string
	Labels   map[string]string
	Ports    []PortMapping
	// Network is the Podman network the pod joins ("": Podman's default).
	Network string
	// DNS* make the pod's resolv.conf (empty: Podman copies the host's).
	DNSServers, DNSSearch, DNSOptions []string
	// HostNetwork, HostPID, HostIPC put the pod in the node's namespaces;
	// SharePID gives its containers one process namespace (hostns.go).
	HostNetwork, HostPID, HostIPC, SharePID bool
	// Resources are the pod-level limits (spec.resources) for the Podman
	// pod's cgroup, which every container of the pod lives under.
	Resources Resources
	// Sysctls are the pod's namespaced sysctls (securityContext.sysctls),
	// set in the namespaces its containers share.
	Sysctls map[string]string
}

// PortMapping publishes a container port on the host (hostPort).
type PortMapping struct {
	HostIP        string // "": every address of the node
	HostPort      uint16
	ContainerPort uint16
	Protocol      string // tcp, udp
}

// ContainerConfig is a fully resolved container: env values looked up, volume
// directories written. It holds no references to the store.
type ContainerConfig struct {
	Pod        string // Podman pod name or ID
	Name       string // Podman container name
	Image      string
	Entrypoint []string // Kubernetes command
	Command    []string // Kubernetes args
	Env        map[string]string
	WorkDir    string
	Mounts     []Mount
	Labels     map[string]string
	StopGrace  time.Duration
	Resources  Resources
	// HostIPC: the node's IPC namespace (hostns.go).
	HostIPC  bool
	Security Security // user, groups, capabilities, seccomp (security.go)
	// FSGroup, when set, owns the named volumes the container mounts
	// (claims), as applyFSGroup does for the agent's own volume directories.
	FSGroup *FSGroup
}

// FSGroup is a pod's fsGroup and fsGroupChangePolicy.
type FSGroup struct {
	GID            int64
	OnRootMismatch bool
}

// Resources are a container's cgroup limits, from resources.limits (and
// requests.cpu for the CPU weight), as the kubelet computes them.
type Resources struct {
	MemoryLimit int64  // bytes; 0 = none
	CPUQuota    int64  // microseconds per CPUPeriod; 0 = none
	CPUPeriod   uint64 // microseconds
	CPUShares   uint64 // relative weight from requests.cpu; 0 = runtime default
}

// Mount is a bind mount of a host path into the container, or (Volume set)
// a named Podman volume, created when missing and kept after the pod.
type Mount struct {
	Source, Destination string
	Volume              string
	ReadOnly            bool
}

// ObservedPod is a Podman pod the agent manages, as found by its labels,
// together with what the agent remembers about failed starts.
type ObservedPod struct {
	ID   string // Podman pod ID
	Name string // Podman pod name
	Key  string // <namespace>/<name> from reconcile.pod
	UID  string // reconcile.uid
	// PodSpec is the reconcile.podspec label: the Pod the Podman pod was
	// made from (DecodePodSpec), for adoption after a lost store.
	PodSpec string
	// SandboxHash is the reconcile.sandbox-hash label ("" on pods made by
	// older agents): what the Podman pod's namespaces were made from.
	SandboxHash string
	Created     time.Time
	IP          string // the infra container's address on its network
	Grace       time.Duration
	Containers  []ObservedContainer
	// Failures are start attempts that failed before a container existed
	// (image pull, config errors), by container name. Kept by the agent.
	Failures map[string]StartFailure
	// Probes are the probe results of running containers, by container ID.
	// Kept by the agent's prober.
	Probes map[string]ProbeResults
	// Issued is what the agent itself started and stopped in this pod.
	// Kept by the agent.
	Issued Issued
}

// ObservedContainer is one Podman container of a managed pod.
type ObservedContainer struct {
	ID         string // full Podman container ID
	Name       string // container name in the Pod spec (reconcile.container)
	PodmanName string
	Attempt    int    // 0 for the first container, +1 per restart (reconcile.attempt)
	SpecHash   string // reconcile.spec-hash
	Image      string
	ImageID    string
	State      string // Podman state: created, running, exited, stopped, ...
	ExitCode   int32
	Created    time.Time
	StartedAt  time.Time
	FinishedAt time.Time
	OOMKilled  bool // exited because the kernel's OOM killer ended it
	// StoppedOutside: Podman stopped or killed it on request (podman stop,
	// podman kill, or the agent itself: Issued.Stopped tells those apart).
	StoppedOutside bool
	// Settling: it died a moment ago and whether it was stopped by hand is
	// not known yet; Sync waits for it (podman_stops.go).
	Settling bool
	Message  string // termination message (terminationMessagePath, or the log tail); set by the agent
}

// Running says whether the container process is alive.
func (c ObservedContainer) Running() bool { return c.State == "running" || c.State == "paused" }

// Exited says whether the container ran and is gone (as opposed to created).
func (c ObservedContainer) Exited() bool {
	return (c.State == "exited" || c.State == "stopped") && !c.StartedAt.IsZero()
}

// StartFailure records why a container could not be started, for status
// reasons and retry backoff.
type StartFailure struct {
	Reason  string // ErrImagePull, ErrImageNeverPull, CreateContainerConfigError, RunContainerError
	Message string
	At      time.Time
	Count   int // consecutive failures
	// SpecHash is the container spec that failed; a new spec retries at once.
	SpecHash string
}

// LogOptions select what Logs writes.
type LogOptions struct {
	Follow     bool
	TailLines  int // the last n lines only; 0 = all
	Timestamps bool
}
