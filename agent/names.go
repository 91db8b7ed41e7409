package agent

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/reconcile-dev/reconcile/schema/objects"
	corev1 "k8s.io/api/core/v1"
)

// Labels the agent adds beside the contract labels (objects.LabelPodman*).
const (
	// LabelAttempt numbers a container's incarnations: restartCount survives
	// an agent restart because it is read back from here.
	LabelAttempt = "reconcile.attempt"
	// LabelSpecHash is a hash of the container spec the container was made
	// from; a different hash means the spec changed and the container is replaced.
	LabelSpecHash = "reconcile.spec-hash"
	// LabelGrace is the pod's termination grace period in seconds, so a pod
	// that vanished from the store is still stopped with its own grace.
	LabelGrace = "reconcile.grace"
	// LabelCluster is the cluster's ID (reconcile/clusterid) on every Podman
	// pod and container: an agent lists, stops, removes and adopts only
	// objects carrying its own cluster's value. Objects without it (made
	// before the label existed, or by hand) are never touched.
	LabelCluster = "reconcile.cluster"
	// LabelPodSpec, on Podman pods, is the Pod they were made from
	// (EncodePodSpec: metadata and spec, no status), so that after a lost
	// store the agent can report the pod and have it adopted.
	LabelPodSpec = "reconcile.podspec"
	// LabelSandbox, on Podman pods, is sandboxHash of the pod they were
	// made for: a pod whose sandbox fields change is made again.
	LabelSandbox = "reconcile.sandbox-hash"
)

// podKey is "<namespace>/<name>", the value of the reconcile.pod label.
func podKey(pod *corev1.Pod) string { return pod.Namespace + "/" + pod.Name }

// podmanPodName is unique per pod incarnation (the uid prefix), so a pod
// recreated under the same name never collides with the old one being removed.
func podmanPodName(pod *corev1.Pod) string {
	return fmt.Sprintf("%s_%s_%s", pod.Namespace, pod.Name, shortUID(string(pod.UID)))
}

// podmanContainerName follows the kubelet's docker naming:
// <pod podman name>_<container>_<attempt>.
func podmanContainerName(pod *corev1.Pod, container string, attempt int) string {
	return fmt.Sprintf("%s_%s_%d", podmanPodName(pod), container, attempt)
}

func shortUID(uid string) string {
	uid = strings.ReplaceAll(uid, "-", "")
	if len(uid) > 8 {
		return uid[:8]
	}
	if uid == "" {
		return "nouid"
	}
	return uid
}

// containerSpecHash hashes what a running container was made from. The
// restart policy is not part of it: changing it must not restart anything.
func containerSpecHash(c *corev1.Container) string {
	b, _ := json.Marshal(c) // a Container always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func podLabels(pod *corev1.Pod) map[string]string {
	l := map[string]string{
		objects.LabelPodmanPod: podKey(pod),
		objects.LabelPodmanUID: string(pod.UID),
		LabelGrace:             fmt.Sprint(gracePeriodSeconds(pod)),
		LabelSandbox:           sandboxHash(pod),
	}
	if spec := EncodePodSpec(pod); spec != "" {
		l[LabelPodSpec] = spec
	}
	return l
}

func containerLabels(pod *corev1.Pod, c *corev1.Container, attempt int) map[string]string {
	return map[string]string{
		objects.LabelPodmanPod:       podKey(pod),
		objects.LabelPodmanUID:       string(pod.UID),
		objects.LabelPodmanContainer: c.Name,
		LabelAttempt:                 fmt.Sprint(attempt),
		LabelSpecHash:                containerSpecHash(c),
	}
}

func gracePeriod(pod *corev1.Pod) time.Duration {
	return time.Duration(gracePeriodSeconds(pod)) * time.Second
}

func gracePeriodSeconds(pod *corev1.Pod) int64 {
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		return *pod.Spec.TerminationGracePeriodSeconds
	}
	return corev1.DefaultTerminationGracePeriodSeconds
}
