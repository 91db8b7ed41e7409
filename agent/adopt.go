package agent

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/ctxwait"
)

// Adoption after a lost store (DESIGN.md §10: git is the source of desired
// state, the agents of what runs). Every Podman pod carries the Pod it was
// made from (LabelPodSpec). At start, after registering and before its first
// sync may remove anything, the agent reports the pods of its cluster that
// run but are not bound to it in the store; the controller re-creates them
// under their original uid with no owner, and the workload controllers adopt
// those their selectors match, as Kubernetes' controllers adopt orphans. The
// containers keep running: nothing is restarted.

// PodAdopter is the optional part of a ControlPlane that re-creates a pod the
// agent runs (POST /api/v1/pods/adopt). The result is "adopted", "exists" or
// "name-taken" (another pod holds the name; the agent's copy is then removed
// by the next sync like any pod not bound to the node).
type PodAdopter interface {
	AdoptPod(ctx context.Context, pod *corev1.Pod) (string, error)
}

// maxPodSpecLabel bounds the label: a Pod of that size is beyond anything
// the agent should carry in Podman's metadata; such a pod is not adoptable.
const maxPodSpecLabel = 64 << 10

// EncodePodSpec is the LabelPodSpec value of a pod: base64 of the gzipped
// JSON of its name, namespace, uid, labels, annotations, creationTimestamp
// and spec. No status, no ownerReferences, no Secret values (the spec only
// names Secrets). "" when the result would be too large for a label.
func EncodePodSpec(pod *corev1.Pod) string {
	p := corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID, Labels: pod.Labels,
			Annotations: pod.Annotations, CreationTimestamp: pod.CreationTimestamp},
		Spec: pod.Spec,
	}
	b, err := json.Marshal(&p)
	if err != nil {
		return ""
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(b)
	zw.Close()
	s := base64.StdEncoding.EncodeToString(buf.Bytes())
	if len(s) > maxPodSpecLabel {
		return ""
	}
	return s
}

// DecodePodSpec reads a LabelPodSpec value back.
func DecodePodSpec(s string) (*corev1.Pod, error) {
	if len(s) > maxPodSpecLabel {
		return nil, fmt.Errorf("pod spec label: %d bytes, more than %d", len(s), maxPodSpecLabel)
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("pod spec label: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("pod spec label: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("pod spec label: %w", err)
	}
	var p corev1.Pod
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("pod spec label: %w", err)
	}
	if p.Name == "" || p.UID == "" {
		return nil, fmt.Errorf("pod spec label: no name or uid")
	}
	return &p, nil
}

// Adoptable picks the observed pods to report: running (a container runs),
// carrying a pod spec, and not among the pods bound to the node. It is pure.
func Adoptable(bound []*corev1.Pod, observed []ObservedPod) []ObservedPod {
	known := map[string]bool{}
	for _, p := range bound {
		known[string(p.UID)] = true
	}
	var out []ObservedPod
	for _, op := range observed {
		if known[op.UID] || op.PodSpec == "" {
			continue
		}
		for _, c := range op.Containers {
			if c.Running() {
				out = append(out, op)
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b ObservedPod) int { return cmp.Compare(a.Key, b.Key) })
	return out
}

// adoptedPod is the pod to report for op: its recorded pod bound to node,
// with the status the agent observes (so a controller that finds too many
// pods deletes new, unready ones first). It is pure.
func adoptedPod(op ObservedPod, node string, now time.Time, hostIP string) (*corev1.Pod, error) {
	p, err := DecodePodSpec(op.PodSpec)
	if err != nil {
		return nil, err
	}
	if string(p.UID) != op.UID {
		return nil, fmt.Errorf("pod spec label of Podman pod %s names uid %s, its reconcile.uid is %s", op.Name, p.UID, op.UID)
	}
	p.Spec.NodeName = node
	p.OwnerReferences = nil
	p.Status = Status(p, &op, now, hostIP)
	return p, nil
}

// adoptRunning reports the cluster's running pods the store does not bind
// to this node. Failures are logged: the pods then go the usual way.
func (a *Agent) adoptRunning(ctx context.Context) {
	ad, ok := a.opts.ControlPlane.(PodAdopter)
	if !ok {
		return
	}
	bound, _, err := a.opts.ControlPlane.ListPods(ctx, a.opts.NodeName)
	if err != nil {
		a.log.Warn("adoption skipped: listing the node's pods failed", "err", err)
		return
	}
	observed, err := a.opts.Runtime.List(ctx)
	if err != nil {
		a.log.Warn("adoption skipped: listing Podman failed", "err", err)
		return
	}
	now := a.opts.Clock()
	for _, op := range Adoptable(bound, observed) {
		p, err := adoptedPod(op, a.opts.NodeName, now, a.opts.Host.IP)
		if err != nil {
			a.log.Warn("cannot adopt a running pod; it will be removed", "podmanPod", op.Name, "err", err)
			continue
		}
		var res string
		for try := 1; ; try++ { // a failure here costs a running pod: try a few times
			if res, err = ad.AdoptPod(ctx, p); err == nil || try == 3 || !ctxwait.Sleep(ctx, time.Second) {
				break
			}
		}
		if err != nil {
			a.log.Warn("adopting a running pod failed; it will be removed", "pod", podKey(p), "uid", p.UID, "err", err)
			continue
		}
		a.log.Info("running pod reported to the controller", "pod", podKey(p), "uid", p.UID, "result", res)
	}
}
