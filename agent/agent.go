package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/util/wait"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// Options configure an Agent. NodeName, DataDir, ControlPlane and Runtime are
// required; the rest have defaults.
type Options struct {
	NodeName     string
	DataDir      string // pod volumes live under DataDir/pods/<uid>
	ControlPlane ControlPlane
	Runtime      Runtime
	Clock        func() time.Time // default time.Now
	Logger       *slog.Logger     // default slog.Default()
	Host         *HostInfo        // default ReadHostInfo()
	Version      string           // reported as the node's kubelet version
	// SystemReserved is taken off the node's capacity to give its
	// allocatable (cpu, memory; ParseReserved reads --system-reserved).
	SystemReserved corev1.ResourceList

	// The pod network and discovery (podnet.go, package agent/discovery):
	// the Podman network pods join, the resolver they get, and the service
	// variables of a namespace for their containers. Zero values: Podman's
	// default network, the host's resolver, no service variables.
	Network    string
	DNS        *PodDNS
	ServiceEnv func(ctx context.Context, namespace string) (map[string]string, error)

	// LogListener, when set, serves container logs (LogHandler) for the API
	// server's `reconcile logs` proxy; its port is reported on the Node.
	// LogTLS is its TLS (pki.AgentServerTLS: the node's certificate, only
	// the controller's client certificate accepted); nil = plain HTTP, for
	// in-process tests.
	LogListener net.Listener
	LogTLS      *tls.Config

	// NodeAnnotations, when set, gives the annotations under
	// node.reconcile.dev/ the agent reports on its Node (the end of its
	// certificate): sent when it registers, and again at the next
	// heartbeat whenever they change (node_annotations.go).
	NodeAnnotations func() map[string]string
	// NodeLabels go on the Node beside kubernetes.io/hostname, os and
	// arch (the agent's --node-labels, as the kubelet's); ValidNodeLabels
	// says which a node may set on itself.
	NodeLabels map[string]string

	HeartbeatInterval time.Duration // default 10 s: a lease renewal (reconcile/nodelease)
	// NodeStatusReportFrequency is how often the agent posts its whole
	// Node status when nothing in it changed (the kubelet's
	// nodeStatusReportFrequency); a change is posted at the next
	// heartbeat. Default DefaultNodeStatusReportFrequency (5 min).
	NodeStatusReportFrequency time.Duration
	ResyncInterval            time.Duration // longest wait between syncs, to see container exits; default 2 s
	// RuntimeCheckInterval is how often the runtime is pinged (a Runtime
	// that is a Pinger); RuntimePingTimeout bounds one ping. Defaults 1 s, 5 s.
	RuntimeCheckInterval, RuntimePingTimeout time.Duration

	// SeccompDefault makes RuntimeDefault the seccomp profile of containers
	// whose securityContext names none (the kubelet's --seccomp-default);
	// false keeps Kubernetes' default, Unconfined. Localhost profiles are
	// read from SeccompDir(DataDir).
	SeccompDefault bool
	// Observer, when set, receives sync durations, container restarts and
	// probe failures (observer.go; agent/agentmetrics); nil costs nothing.
	Observer Observer
	// VolumeSyncInterval is how often the files of configMap, secret,
	// downwardAPI and projected volumes of running pods are updated from
	// their objects (volume_refresh.go); default 10 s.
	VolumeSyncInterval time.Duration
	// UsageInterval is how often the agent reads its containers' CPU and
	// memory usage and reports it (usage.go); default 15 s, negative: never.
	UsageInterval time.Duration
}

// Agent runs the pods bound to one node.
type Agent struct {
	opts   Options
	log    *slog.Logger
	events *eventRecorder
	probes *prober

	mu       sync.Mutex
	failures map[string]map[string]StartFailure // pod uid → container → failed start
	removing map[string]bool                    // Podman pod IDs being removed in the background
	stopping map[string]bool                    // uids of pods being terminated in the background
	tails    map[string]string                  // container ID → log tail (FallbackToLogsOnError)
	issued   map[string]Issued                  // pod uid → what the agent started and stopped
	panics   map[string]panicBackoff            // pod uid → its sync or an action of it panicked (panics.go)
	// runtimeErr is the last runtime ping's error (nil: answering);
	// runtimeBack wakes the sync loop when it answers again (runtime_watch.go).
	runtimeErr  error
	runtimeBack chan struct{}
	// reported are the NodeAnnotations last registered (node_annotations.go).
	reported map[string]string
	// reportedImages are the images last registered in status.images.
	reportedImages []corev1.ContainerImage
	// statusPosted is when the Node status was last registered.
	statusPosted time.Time
	// volumesSynced is when refreshVolumes last ran.
	volumesSynced time.Time
	removals      sync.WaitGroup
}

// New checks the options and fills in defaults.
func New(opts Options) (*Agent, error) {
	switch {
	case opts.NodeName == "":
		return nil, errors.New("agent: a node name is required (--node)")
	case opts.DataDir == "":
		return nil, errors.New("agent: a data directory is required")
	case opts.ControlPlane == nil || opts.Runtime == nil:
		return nil, errors.New("agent: a control plane and a runtime are required")
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Host == nil {
		h := ReadHostInfo()
		opts.Host = &h
	}
	if len(opts.SystemReserved) > 0 {
		h := *opts.Host
		h.SystemReserved = opts.SystemReserved
		opts.Host = &h
	}
	if v, ok := opts.Runtime.(interface{ Version() string }); ok && opts.Host.RuntimeVersion == "" {
		h := *opts.Host
		h.RuntimeVersion = v.Version()
		opts.Host = &h
	}
	if ln := opts.LogListener; ln != nil {
		h := *opts.Host
		if addr, ok := ln.Addr().(*net.TCPAddr); ok {
			h.LogPort = int32(addr.Port)
			if !addr.IP.IsUnspecified() {
				h.LogHost = addr.IP.String()
			}
		}
		opts.Host = &h
	}
	if opts.Version == "" {
		opts.Version = BuildVersion()
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = 10 * time.Second
	}
	if opts.NodeStatusReportFrequency == 0 {
		opts.NodeStatusReportFrequency = DefaultNodeStatusReportFrequency
	}
	if opts.ResyncInterval == 0 {
		opts.ResyncInterval = 2 * time.Second
	}
	if opts.RuntimeCheckInterval == 0 {
		opts.RuntimeCheckInterval = time.Second
	}
	if opts.UsageInterval == 0 {
		opts.UsageInterval = DefaultUsageInterval
	}
	if opts.VolumeSyncInterval == 0 {
		opts.VolumeSyncInterval = defaultVolumeSyncInterval
	}
	if opts.RuntimePingTimeout == 0 {
		opts.RuntimePingTimeout = 5 * time.Second
	}
	if err := os.MkdirAll(opts.DataDir, 0o755); err != nil {
		return nil, fmt.Errorf("agent: creating data directory: %w", err)
	}
	a := &Agent{opts: opts, log: opts.Logger.With("node", opts.NodeName),
		failures: map[string]map[string]StartFailure{}, removing: map[string]bool{}, stopping: map[string]bool{}, tails: map[string]string{},
		issued: map[string]Issued{}, panics: map[string]panicBackoff{}, runtimeBack: make(chan struct{}, 1)}
	a.events = newEventRecorder(opts.ControlPlane, opts.NodeName, opts.Clock, a.log.Warn)
	a.probes = newProber(opts.Runtime, a.events, opts.Clock, a.log)
	a.probes.observer = opts.Observer
	return a, nil
}

// Run registers the node, heartbeats, and syncs pods until ctx ends. A sync
// runs at once when the node's pods change (WaitPods) and at least every
// ResyncInterval, so exited containers are restarted promptly.
func (a *Agent) Run(ctx context.Context) error {
	defer a.removals.Wait()
	defer a.probes.stop()
	if err := a.register(ctx); err != nil {
		return err
	}
	// Before the first sync can remove a pod the store does not know (a
	// store rebuilt from git): report those that run, for adoption.
	a.adoptRunning(ctx)
	go a.heartbeats(ctx)
	go a.watchRuntime(ctx)
	go a.reportUsage(ctx)
	if a.opts.LogListener != nil {
		go func() {
			if err := a.ServeLogs(ctx, a.opts.LogListener, a.opts.LogTLS); err != nil {
				a.log.Error("log server stopped; `reconcile logs` will not reach this node", "err", err)
			}
		}()
	}
	var changes <-chan struct{} // nil (never ready) when the runtime has no events
	if w, ok := a.opts.Runtime.(interface {
		Changes(context.Context) <-chan struct{}
	}); ok {
		changes = w.Changes(ctx)
	}
	backoff := requestBackoff()
	for ctx.Err() == nil {
		rv, err := a.syncOnceObserved(ctx) // observer.go
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			d := backoff.Step()
			a.log.Warn("sync failed; retrying", "in", d.Round(time.Millisecond), "err", err)
			ctxwait.Sleep(ctx, d)
			continue
		}
		// The back-off starts over only after a wait that ended as it
		// should: a server that answers lists but refuses long polls (429
		// under load) sees each agent's list-and-poll ever less often,
		// not every 1–2 s.
		if !a.wait(ctx, rv, changes, &backoff) {
			backoff = requestBackoff()
		}
	}
	return nil
}

// wait returns when the node's pods changed after rv, a container died, or
// ResyncInterval passed. When the long poll failed it sleeps backoff's
// next step first and says so.
func (a *Agent) wait(ctx context.Context, rv uint64, changes <-chan struct{}, backoff *wait.Backoff) (failed bool) {
	wctx, cancel := context.WithTimeout(ctx, a.opts.ResyncInterval)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.opts.ControlPlane.WaitPods(wctx, a.opts.NodeName, rv) }()
	select {
	case err := <-done:
		if err != nil && wctx.Err() == nil {
			d := backoff.Step() // jittered: agents whose long polls failed together list again spread out
			a.log.Warn("waiting for pod changes failed; listing again", "in", d.Round(time.Millisecond), "err", err)
			ctxwait.Sleep(ctx, d)
			return true
		}
	case <-changes:
		cancel()
		<-done
	case <-a.probes.wake:
		cancel()
		<-done
	case <-a.runtimeBack:
		cancel()
		<-done
	}
	return false
}

func (a *Agent) register(ctx context.Context) error {
	backoff := requestBackoff()
	for {
		err := a.registerNode(ctx)
		if err == nil {
			a.log.Info("node registered")
			return nil
		}
		d := backoff.Step()
		a.log.Warn("registering node failed; retrying", "in", d.Round(time.Millisecond), "err", err)
		if !ctxwait.Sleep(ctx, d) {
			return nil
		}
	}
}

func (a *Agent) heartbeats(ctx context.Context) {
	t := time.NewTicker(a.opts.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// One heartbeat may take at most an interval: a request stuck on a
		// connection the network dropped (a link down) must not hold back
		// the heartbeats after the link is back; the next one dials anew.
		hctx, cancel := context.WithTimeout(ctx, a.opts.HeartbeatInterval)
		err := a.reportReadiness(hctx) // runtime_watch.go
		cancel()
		if err != nil && ctx.Err() == nil {
			a.log.Warn("heartbeat failed", "err", err)
		}
	}
}

// SyncOnce does one level-based pass: list the node's pods, observe Podman,
// act, and write back every status that changed. It returns the store
// resourceVersion the pods were listed at.
func (a *Agent) SyncOnce(ctx context.Context) (uint64, error) {
	desired, rv, err := a.opts.ControlPlane.ListPods(ctx, a.opts.NodeName)
	if err != nil {
		return 0, fmt.Errorf("listing pods of node %s: %w", a.opts.NodeName, err)
	}
	observed, err := a.observe(ctx)
	if err != nil {
		return 0, err
	}
	actions := a.plan(ctx, desired, observed, a.opts.Clock())
	if len(actions) > 0 {
		a.execute(ctx, actions, observed)
		if observed, err = a.observe(ctx); err != nil {
			return 0, err
		}
	}
	a.refreshVolumes(ctx, desired, observed) // volume_refresh.go
	a.probes.update(desired, observed)
	attachProbes(observed, a.probes.snapshot())
	a.attachMessages(ctx, desired, observed)
	a.writeStatuses(ctx, desired, observed)
	a.events.flush() // events_send.go: the sync's events are stored when it returns
	a.forget(desired, observed)
	return rv, nil
}

// observe lists Podman and attaches the remembered start failures; pods
// being removed in the background are left out.
func (a *Agent) observe(ctx context.Context) ([]ObservedPod, error) {
	list, err := a.opts.Runtime.List(ctx)
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	out := list[:0]
	for _, op := range list {
		if a.removing[op.ID] {
			continue
		}
		if f := a.failures[op.UID]; len(f) > 0 {
			op.Failures = map[string]StartFailure{}
			for k, v := range f {
				op.Failures[k] = v
			}
		}
		a.attachIssued(&op)
		out = append(out, op)
	}
	attachProbes(out, a.probes.snapshot())
	return out, nil
}

// attachProbes hands each observed pod the probe results of its containers.
func attachProbes(observed []ObservedPod, results map[string]ProbeResults) {
	for i := range observed {
		op := &observed[i]
		op.Probes = nil
		for _, c := range op.Containers {
			if r, ok := results[c.ID]; ok {
				if op.Probes == nil {
					op.Probes = map[string]ProbeResults{}
				}
				op.Probes[c.ID] = r
			}
		}
	}
}

func (a *Agent) writeStatuses(ctx context.Context, desired []*corev1.Pod, observed []ObservedPod) {
	byUID := map[string]*ObservedPod{}
	for i := range observed {
		byUID[observed[i].UID] = &observed[i]
	}
	now := a.opts.Clock()
	live := make([]*corev1.Pod, 0, len(desired))
	for _, pod := range desired {
		if pod.DeletionTimestamp == nil {
			live = append(live, pod)
		}
	}
	eachInParallel(maxParallelStatusWrites, live, func(pod *corev1.Pod) {
		a.writeStatus(ctx, pod, byUID[string(pod.UID)], now)
	})
}

// maxParallelStatusWrites bounds the pod status writes one sync has in
// flight. Each pod's status is its own write, and the API server commits
// the writes that arrive together in one store transaction (status group
// commit): sent one after another, a node starting ten pods waited for
// ten commits, each a consensus round on etcd; four at a time, three. Four
// (with the four event requests, events_send.go, the long poll and the
// heartbeat) stays within the client's 16 kept connections: more in flight
// cost TLS handshakes and made the Badger figure slower (BENCHMARKS.md,
// "commit → running, round 4").
const maxParallelStatusWrites = 4

// writeStatus computes and writes one pod's status; a panic stays with the pod.
func (a *Agent) writeStatus(ctx context.Context, pod *corev1.Pod, op *ObservedPod, now time.Time) {
	defer a.recovered(ctx, pod, "the status of pod "+podKey(pod), nil)
	st := Status(pod, op, now, a.opts.Host.IP)
	if equality.Semantic.DeepEqual(st, pod.Status) {
		return
	}
	updated := pod.DeepCopy()
	updated.Status = st
	if err := a.opts.ControlPlane.UpdatePodStatus(ctx, updated); err != nil {
		a.log.Warn("writing pod status failed", "pod", podKey(pod), "err", err)
		return
	}
	a.backOffEvents(ctx, pod, st)
}

// backOffEvents reports every container that has just entered
// CrashLoopBackOff or ImagePullBackOff; each back-off counts the same event up.
func (a *Agent) backOffEvents(ctx context.Context, pod *corev1.Pod, st corev1.PodStatus) {
	was := map[string]string{}
	for _, cs := range append(pod.Status.InitContainerStatuses, pod.Status.ContainerStatuses...) {
		if cs.State.Waiting != nil {
			was[cs.Name] = cs.State.Waiting.Reason
		}
	}
	for _, cs := range append(st.InitContainerStatuses, st.ContainerStatuses...) {
		if cs.State.Waiting == nil || was[cs.Name] == cs.State.Waiting.Reason {
			continue
		}
		switch cs.State.Waiting.Reason {
		case "CrashLoopBackOff":
			a.events.record(ctx, pod, cs.Name, corev1.EventTypeWarning, ReasonBackOff, "Back-off restarting failed container %s", cs.Name)
		case "ImagePullBackOff":
			a.events.record(ctx, pod, cs.Name, corev1.EventTypeNormal, ReasonBackOff, "Back-off pulling image %q", cs.Image)
			a.events.record(ctx, pod, cs.Name, corev1.EventTypeWarning, ReasonFailed, "Error: ImagePullBackOff")
		}
	}
}

// forget drops start failures of pods that are gone and the data
// directories of pods neither desired nor in Podman.
func (a *Agent) forget(desired []*corev1.Pod, observed []ObservedPod) {
	keep := map[string]bool{}
	for _, p := range desired {
		keep[string(p.UID)] = true
	}
	for _, op := range observed {
		keep[op.UID] = true
	}
	a.mu.Lock()
	for uid := range a.failures {
		if !keep[uid] {
			delete(a.failures, uid)
		}
	}
	for uid := range a.issued {
		if !keep[uid] {
			delete(a.issued, uid)
		}
	}
	for uid := range a.panics {
		if !keep[uid] {
			delete(a.panics, uid)
		}
	}
	busy := len(a.removing) > 0
	a.mu.Unlock()
	if busy {
		return // a removal in flight deletes its own directory
	}
	entries, _ := os.ReadDir(podDir(a.opts.DataDir, ""))
	for _, e := range entries {
		if !keep[e.Name()] {
			if err := removePodDir(a.opts.DataDir, e.Name()); err != nil {
				a.log.Warn("removing pod directory", "err", err)
			}
		}
	}
}
