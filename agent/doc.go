// Package agent runs the pods bound to one node with Podman (DESIGN.md §5).
//
// The agent is level-based. Each sync lists the node's pods from the
// ControlPlane, lists the Podman pods and containers carrying the
// reconcile.* labels (Runtime.List), computes the actions with the pure
// Sync, executes them, recomputes every pod's status with the pure Status
// and writes back only the statuses that changed. A sync runs at once when
// WaitPods reports a change and at least every ResyncInterval (2 s), so an
// exited container is restarted promptly.
//
// Mapping: a Pod is a Podman pod named <namespace>_<name>_<uid prefix> with
// an infra container holding the shared network namespace (hostname = the
// pod's hostname or name); each container of the spec is a Podman container
// <pod>_<container>_<attempt>. A restart creates the next attempt (restartCount
// = attempt, read back from the reconcile.attempt label) and keeps the
// previous one for lastState. Labels: reconcile.pod, reconcile.uid,
// reconcile.container (the contract), reconcile.attempt, reconcile.spec-hash
// (a changed container spec replaces the container), reconcile.grace and
// reconcile.podspec (the Pod itself, for adoption after a lost store:
// adopt.go) on pods, and reconcile.cluster=<cluster ID> on everything: the
// runtime lists and touches only its own cluster's objects. Because
// everything is read back from labels, a restarted agent adopts running
// containers and recreates nothing; one whose store was lost reports its
// running pods to the controller, which re-creates them for the workload
// controllers to adopt. containerID in the status is the
// full Podman container ID (`podman ps --no-trunc`).
//
// Restarts follow restartPolicy with Kubernetes' backoff (at once, then 10 s
// doubling to 300 s, reset after 10 minutes of running; CrashLoopBackOff
// while waiting). Failed starts (ErrImagePull, ImagePullBackOff,
// ErrImageNeverPull, CreateContainerConfigError, RunContainerError) are
// remembered in memory, shown as waiting reasons and retried with the same
// backoff; a changed container spec is retried at once.
//
// Volumes: emptyDir, configMap and secret volumes are host directories under
// <data dir>/pods/<uid>/volumes/<name>, bind-mounted (configMap and secret
// read-only, files written with items and modes); they are deleted with the
// pod. A secret volume's directory is a tmpfs of its own, files 0400 unless
// defaultMode or an item's mode says otherwise (secretfs.go). hostPath volumes bind-mount the node's path (checked or created per
// type); a persistentVolumeClaim is the named Podman volume claimName,
// created when missing and kept after the pod (StatefulSet storage).
//
// Probes (probe.go pure, prober.go workers, probe_check.go I/O): one worker
// per running container incarnation and probe kind runs exec (Podman exec),
// httpGet (to the pod IP) or tcpSocket with Kubernetes' defaults and
// thresholds. Results are kept by container ID and handed to the pure Sync
// and Status: readiness decides containerStatus.ready and the pod's Ready
// condition, a startup probe holds the other two back (started=false), a
// failed liveness or startup probe makes Sync stop the container, after which
// restartPolicy and the backoff apply. A changed result wakes the loop.
//
// Graceful termination (terminate.go): a pod with a deletionTimestamp gets
// SIGTERM, and SIGKILL when deletionTimestamp + deletionGracePeriodSeconds
// passes (remainingGrace), so a restarted agent keeps the original deadline;
// then its last status (containers terminated), removal from Podman, and
// ControlPlane.FinalizePod. preStop hooks (exec, httpGet, sleep) run before
// SIGTERM within the grace period, also when a probe or a spec change stops a
// container; a failing postStart hook stops the container. A pod gone from the store is removed with the
// grace period recorded in its reconcile.grace label.
//
// Init containers run one at a time to a successful exit before the app
// containers (init.go); sidecars (restartPolicy Always) start in their turn
// and keep running. Resource limits become the container's cgroup limits
// (resources.go); an OOM kill is read from Podman's inspect or, since Podman
// 4.3 misses it on cgroup v1, from the kernel log (oom.go), and reported as
// reason OOMKilled. Termination messages come from a host file mounted at
// terminationMessagePath, or the log tail with FallbackToLogsOnError.
//
// Events (events.go): Started, Failed, BackOff, Killing, Unhealthy, counted by
// the agent (a repeat is the same event with count+1) and sent through
// ControlPlane.RecordEvent. Logs (logserver.go): the agent serves
// /containerLogs/{namespace}/{pod}/{container} on its own listener, which
// the API server proxies `reconcile logs` to; the port is on the Node.
//
// Robustness (issue 8): a panic in one pod's sync, status or action is a
// FailedSync Warning event and a backoff of that pod (panics.go); the agent
// pings its runtime and reports Ready=False, reason ContainerRuntimeUnhealthy,
// while it does not answer (runtime_watch.go), and the supervisor of its own
// Podman service restarts it when its socket is gone or it stops answering
// (service.go); a Podman endpoint others than root can reach is refused
// (endpoint.go); a container stopped through Podman by hand is drift, not a
// crash (podman_stops.go, drift.go).
//
// What the agent needs from the host: root; Podman ≥ 4.3 with runc (crun
// does not work on the reference hosts) and netavark or CNI for the default
// bridge network; catatonit for Podman's locally built pause image (no
// registry is needed for infra containers); images present locally or a
// reachable registry; /proc/meminfo and the interfaces for the Node's
// capacity and InternalIP. Either pass a running service (--podman
// unix:///run/podman/podman.sock) or let StartPodmanService run and supervise
// `podman system service` with the embedded containers.conf (runc, nofile
// 1024:1024, nproc 4096:4096).
package agent
