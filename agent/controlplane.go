package agent

import (
	"context"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// ErrNotFound is what GetConfigMap and GetSecret return, wrapped, when the
// object does not exist: implementations must wrap it (fmt.Errorf("...: %w",
// agent.ErrNotFound)) so that errors.Is(err, agent.ErrNotFound) holds. The
// agent uses it to honour `optional: true` on configMap/secret references.
// It is the API's not-found (reconcile/apierrors), so a not-found answer the
// API client decoded matches it without the client knowing the agent.
var ErrNotFound = apierrors.ErrNotFound

// ControlPlane is everything the agent needs from the controller. The
// integrator provides an HTTP client and an in-process implementation.
type ControlPlane interface {
	// RegisterNode creates or updates the Node object (status included).
	RegisterNode(ctx context.Context, node *corev1.Node) error
	// Heartbeat refreshes the Ready condition's lastHeartbeatTime.
	Heartbeat(ctx context.Context, node string) error
	// ListPods returns the pods with spec.nodeName == node and the store's
	// resourceVersion at the time of the list.
	ListPods(ctx context.Context, node string) ([]*corev1.Pod, uint64, error)
	// WaitPods is a long poll: it returns when the node's pods may have
	// changed after afterRV, and returns nil on its own timeout too.
	WaitPods(ctx context.Context, node string, afterRV uint64) error
	GetConfigMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error)
	GetSecret(ctx context.Context, ns, name string) (*corev1.Secret, error)
	// UpdatePodStatus writes pod.Status for the pod namespace/name, checked by uid.
	UpdatePodStatus(ctx context.Context, pod *corev1.Pod) error
	// FinalizePod removes a terminating pod (metadata.deletionTimestamp set)
	// once the agent has stopped its containers: the last step of graceful
	// deletion. The uid guards against removing a newer pod of the same name;
	// a pod that is already gone wraps ErrNotFound.
	FinalizePod(ctx context.Context, pod *corev1.Pod) error
	// RecordEvent stores an event about a pod of this node (Killing,
	// Unhealthy, BackOff, ...). The agent counts repeats itself: a repeated
	// event comes again under the same name with a higher count.
	RecordEvent(ctx context.Context, ev *corev1.Event) error
}
