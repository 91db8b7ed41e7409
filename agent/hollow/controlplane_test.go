package hollow

import (
	"context"
	"sync"

	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/agent"
)

// memControlPlane is the controller as one node's agent sees it, in
// memory: the pods bound to it, the statuses written and the pods finalized.
type memControlPlane struct {
	mu        sync.Mutex
	rv        uint64
	pods      map[string]*corev1.Pod // by uid
	finalized []string
	node      *corev1.Node
}

func newMemControlPlane() *memControlPlane { return &memControlPlane{pods: map[string]*corev1.Pod{}} }

func (m *memControlPlane) put(p *corev1.Pod) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rv++
	m.pods[string(p.UID)] = p.DeepCopy()
}

func (m *memControlPlane) get(uid string) *corev1.Pod {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.pods[uid]; p != nil {
		return p.DeepCopy()
	}
	return nil
}

func (m *memControlPlane) RegisterNode(ctx context.Context, n *corev1.Node) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.node = n.DeepCopy()
	return nil
}
func (m *memControlPlane) Heartbeat(ctx context.Context, node string) error { return nil }
func (m *memControlPlane) ListPods(ctx context.Context, node string) ([]*corev1.Pod, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*corev1.Pod
	for _, p := range m.pods {
		out = append(out, p.DeepCopy())
	}
	return out, m.rv, nil
}
func (m *memControlPlane) WaitPods(ctx context.Context, node string, afterRV uint64) error {
	<-ctx.Done()
	return nil
}
func (m *memControlPlane) GetConfigMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	return nil, agent.ErrNotFound
}
func (m *memControlPlane) GetSecret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return nil, agent.ErrNotFound
}
func (m *memControlPlane) UpdatePodStatus(ctx context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if p := m.pods[string(pod.UID)]; p != nil {
		m.rv++
		p.Status = pod.Status
	}
	return nil
}
func (m *memControlPlane) FinalizePod(ctx context.Context, pod *corev1.Pod) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rv++
	delete(m.pods, string(pod.UID))
	m.finalized = append(m.finalized, pod.Name)
	return nil
}
func (m *memControlPlane) RecordEvent(ctx context.Context, ev *corev1.Event) error { return nil }
