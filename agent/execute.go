package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// maxParallelPods bounds how many pods are worked on at once: Podman
// serialises much of the work on its own locks, so more buys little.
const maxParallelPods = 4

// execute runs Sync's actions. Removing a pod waits out its grace period, so
// it runs in the background; the other actions run in order per pod, and
// different pods in parallel. A failing action is logged and retried by the
// next sync (the loop is level-based).
func (a *Agent) execute(ctx context.Context, actions []Action, observed []ObservedPod) {
	ips := map[string]string{}
	for _, op := range observed {
		ips[op.UID] = op.IP
	}
	oc := newObjectCache(a.opts.ControlPlane)
	oc.host = *a.opts.Host
	oc.serviceEnv = a.opts.ServiceEnv
	var order []string
	byPod := map[string][]Action{}
	for _, act := range actions {
		switch act.Kind {
		case ActRemovePod:
			a.removePodInBackground(ctx, act)
			a.log.Info(act.String())
			continue
		case ActTerminatePod:
			a.terminatePodInBackground(ctx, act)
			continue
		case ActFinalizePod:
			a.finalizeUnlessStopping(ctx, act.Pod)
			continue
		}
		uid := string(act.Pod.UID)
		if _, seen := byPod[uid]; !seen {
			order = append(order, uid)
		}
		byPod[uid] = append(byPod[uid], act)
	}
	eachInParallel(maxParallelPods, order, func(uid string) {
		a.executePod(ctx, byPod[uid], oc, ips)
	})
}

// executePod runs one pod's actions in order; when its Podman pod cannot be
// created, its containers are not tried.
func (a *Agent) executePod(ctx context.Context, actions []Action, oc *objectCache, ips map[string]string) {
	if len(actions) > 0 {
		// This pod's own copy: startContainer remembers an address it
		// looked up, and other pods run in parallel.
		uid := string(actions[0].Pod.UID)
		ips = map[string]string{uid: ips[uid]}
	}
	for _, act := range actions {
		log := a.log.With("action", string(act.Kind), "pod", podKey(act.Pod))
		err := a.executeAction(ctx, act, oc, ips)
		if err != nil {
			log.Warn("action failed", "what", act.String(), "err", err)
			if act.Kind == ActCreatePod || errors.Is(err, errPanicked) {
				return
			}
		} else if act.Kind != ActStartContainer {
			log.Info(act.String())
		} else if act.Attempt > 0 && a.opts.Observer != nil {
			a.opts.Observer.ContainerRestarted()
		}
	}
}

// errPanicked marks an action that panicked: the pod's other actions wait
// for its backoff (panics.go).
var errPanicked = errors.New("action panicked")

// executeAction runs one action; a panic becomes an error, a Warning event
// and a backoff of the pod, and the other pods go on.
func (a *Agent) executeAction(ctx context.Context, act Action, oc *objectCache, ips map[string]string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%w: %s: %v", errPanicked, act.String(), v)
			a.notePanic(ctx, act.Pod, err, debug.Stack())
		}
	}()
	switch act.Kind {
	case ActCreatePod:
		err = a.createPod(ctx, act.Pod)
	case ActStartContainer:
		err = a.startContainer(ctx, oc, act, ips)
	case ActStopContainer:
		grace := act.Grace
		if op := a.lookupObserved(ctx, string(act.Pod.UID)); op != nil {
			grace = a.preStop(ctx, act.Pod, op, act.Container, grace)
		}
		a.noteStopped(string(act.Pod.UID), act.ContainerID)
		err = a.opts.Runtime.StopContainer(ctx, act.ContainerID, grace)
	case ActRemoveContainer:
		err = a.opts.Runtime.RemoveContainer(ctx, act.ContainerID)
	}
	return err
}

func (a *Agent) createPod(ctx context.Context, pod *corev1.Pod) error {
	if err := os.MkdirAll(podDir(a.opts.DataDir, string(pod.UID)), 0o755); err != nil {
		return err
	}
	cfg := PodConfig{Name: podmanPodName(pod), Hostname: podHostname(pod), Labels: podLabels(pod), Ports: podPorts(pod)}
	a.podNetwork(pod, &cfg)
	podNamespaces(pod, &cfg)
	cfg.Resources = podResources(pod)
	cfg.Sysctls = podSysctls(pod)
	_, err := a.opts.Runtime.CreatePod(ctx, cfg)
	return err
}

// podHostname is spec.hostname or the pod name, cut to the 63 characters a
// hostname may have (as the kubelet does).
func podHostname(pod *corev1.Pod) string {
	h := pod.Spec.Hostname
	if h == "" {
		h = pod.Name
	}
	if len(h) > 63 {
		h = strings.TrimRight(h[:63], "-.")
	}
	return h
}

func (a *Agent) startContainer(ctx context.Context, oc *objectCache, act Action, ips map[string]string) error {
	pod := act.Pod
	c := specContainer(pod, act.Container)
	if c == nil {
		return nil
	}
	podIP := podIPOf(pod, ips[string(pod.UID)], a.opts.Host.IP)
	if podIP == "" {
		// A pod created in this sync: its address is needed for
		// status.podIP variables and the /etc/hosts line.
		podIP = a.lookupPodIP(ctx, pod)
		ips[string(pod.UID)] = podIP
	}
	id, err := a.runContainer(ctx, oc, pod, c, act.Attempt, podIP)
	if err != nil {
		if a.recordFailure(pod, c, err) {
			a.events.record(ctx, pod, c.Name, corev1.EventTypeWarning, ReasonFailed, "%v", err)
			if errors.Is(err, ErrImagePull) { // the kubelet's second word on it
				a.events.record(ctx, pod, c.Name, corev1.EventTypeWarning, ReasonFailed, "Error: ErrImagePull")
			}
		}
		return err
	}
	a.clearFailure(pod, c.Name)
	a.noteStarted(string(pod.UID), c.Name)
	if act.Drift != "" {
		a.recordDriftRepaired(ctx, act)
	}
	a.events.record(ctx, pod, c.Name, corev1.EventTypeNormal, ReasonStarted, "Started container %s", c.Name)
	if c.Lifecycle != nil && c.Lifecycle.PostStart != nil {
		a.postStart(ctx, pod, c, id, podIP)
	}
	a.log.Info("container started", "pod", podKey(pod), "container", c.Name, "attempt", act.Attempt, "id", id, "why", act.Reason)
	return nil
}

func (a *Agent) runContainer(ctx context.Context, oc *objectCache, pod *corev1.Pod, c *corev1.Container, attempt int, podIP string) (string, error) {
	if err := a.ensureImage(ctx, oc, pod, c); err != nil {
		return "", err
	}
	security, err := a.security(ctx, pod, c)
	if err != nil {
		return "", err
	}
	dirs, err := prepareVolumes(ctx, oc, a.opts.DataDir, pod)
	if err != nil {
		return "", err
	}
	if err := applyFSGroup(pod, dirs); err != nil {
		return "", err
	}
	env, err := containerEnv(ctx, oc, pod, c, podIP, a.opts.Host.IP)
	if err != nil {
		return "", err
	}
	mounts, err := containerMounts(pod, c, dirs, env)
	if err != nil {
		return "", err
	}
	tm, err := terminationMount(a.opts.DataDir, pod, c, attempt)
	if err != nil {
		return "", err
	}
	mounts = append(mounts, tm)
	hosts, err := a.etcHostsMount(pod, podIP)
	if err != nil {
		return "", err
	}
	if hosts != nil {
		mounts = append(mounts, *hosts)
	}
	resolv, err := a.resolvConfMount(pod)
	if err != nil {
		return "", err
	}
	if resolv != nil {
		mounts = append(mounts, *resolv)
	}
	cfg := ContainerConfig{
		Pod: podmanPodName(pod), Name: podmanContainerName(pod, c.Name, attempt), Image: c.Image,
		Entrypoint: expandAll(c.Command, env), Command: expandAll(c.Args, env), Env: env, WorkDir: c.WorkingDir,
		Mounts: mounts, Labels: containerLabels(pod, c, attempt), StopGrace: gracePeriod(pod),
		Resources: containerResources(c), HostIPC: pod.Spec.HostIPC, Security: security, FSGroup: podFSGroup(pod),
	}
	return a.opts.Runtime.RunContainer(ctx, cfg)
}

// defaultPullPolicy is Kubernetes': Always for :latest or no tag, else IfNotPresent.
func defaultPullPolicy(image string) corev1.PullPolicy {
	name := image
	if i := strings.LastIndex(name, "@"); i >= 0 {
		return corev1.PullIfNotPresent
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if !strings.Contains(name, ":") || strings.HasSuffix(name, ":latest") {
		return corev1.PullAlways
	}
	return corev1.PullIfNotPresent
}

// lookupPodIP asks Podman for the address of a pod created in this sync
// (its infra container starts with the first container).
func (a *Agent) lookupPodIP(ctx context.Context, pod *corev1.Pod) string {
	list, err := a.opts.Runtime.List(ctx)
	if err != nil {
		return ""
	}
	for _, op := range list {
		if op.UID == string(pod.UID) {
			return op.IP
		}
	}
	return ""
}

// recordFailure remembers a failed start for status and backoff, and says
// whether it was one (not a transient error the next sync simply retries).
func (a *Agent) recordFailure(pod *corev1.Pod, c *corev1.Container, err error) bool {
	reason := ""
	var cfgErr *configError
	switch {
	case errors.As(err, &cfgErr):
		reason = "CreateContainerConfigError"
	case errors.Is(err, ErrImageNeverPull):
		reason = "ErrImageNeverPull"
	case errors.Is(err, ErrImagePull):
		reason = "ErrImagePull"
	case errors.Is(err, ErrRunContainer):
		reason = "RunContainerError"
	default:
		return false // transient (control plane or Podman unreachable): the next sync retries
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	uid := string(pod.UID)
	if a.failures[uid] == nil {
		a.failures[uid] = map[string]StartFailure{}
	}
	f := a.failures[uid][c.Name]
	a.failures[uid][c.Name] = StartFailure{Reason: reason, Message: err.Error(), At: a.opts.Clock(), Count: f.Count + 1,
		SpecHash: containerSpecHash(c)}
	return true
}

func (a *Agent) clearFailure(pod *corev1.Pod, container string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.failures[string(pod.UID)], container)
}

func (a *Agent) removePodInBackground(ctx context.Context, act Action) {
	a.mu.Lock()
	if a.removing[act.PodmanPodID] {
		a.mu.Unlock()
		return
	}
	a.removing[act.PodmanPodID] = true
	a.mu.Unlock()
	a.removals.Add(1)
	go func() {
		defer a.removals.Done()
		defer func() { // a panic here must not end the agent
			if v := recover(); v != nil {
				a.notePanic(ctx, nil, fmt.Errorf("panic removing Podman pod %s: %v", act.PodmanPodID, v), debug.Stack())
				a.mu.Lock()
				delete(a.removing, act.PodmanPodID)
				a.mu.Unlock()
			}
		}()
		err := a.opts.Runtime.RemovePod(context.WithoutCancel(ctx), act.PodmanPodID, act.Grace)
		if err != nil {
			a.log.Warn("removing pod failed; retrying at the next sync", "podmanPod", act.PodmanPodID, "err", err)
		} else if act.UID != "" {
			if err := removePodDir(a.opts.DataDir, act.UID); err != nil {
				a.log.Warn("removing pod directory", "uid", act.UID, "err", err)
			}
		}
		a.mu.Lock()
		delete(a.removing, act.PodmanPodID)
		a.mu.Unlock()
	}()
}

// specContainer finds a container or init container of the pod by name.
func specContainer(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return nil
}
