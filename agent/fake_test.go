package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// fakeControlPlane is an in-memory ControlPlane: pods, ConfigMaps and
// Secrets in maps, a resourceVersion bumped on every write, and WaitPods
// woken by any change.
type fakeControlPlane struct {
	mu            sync.Mutex
	rv            uint64
	changed       chan struct{}
	pods          map[string]*corev1.Pod // by namespace/name
	configMaps    map[string]*corev1.ConfigMap
	secrets       map[string]*corev1.Secret
	nodes         map[string]*corev1.Node
	heartbeats    int
	statusUpdates int
}

func newFakeControlPlane() *fakeControlPlane {
	return &fakeControlPlane{changed: make(chan struct{}), pods: map[string]*corev1.Pod{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, nodes: map[string]*corev1.Node{}}
}

// bump must be called with mu held.
func (f *fakeControlPlane) bump() {
	f.rv++
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeControlPlane) putPod(p *corev1.Pod) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pods[p.Namespace+"/"+p.Name] = p.DeepCopy()
	f.bump()
}

func (f *fakeControlPlane) deletePod(ns, name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.pods, ns+"/"+name)
	f.bump()
}

func (f *fakeControlPlane) pod(ns, name string) *corev1.Pod {
	f.mu.Lock()
	defer f.mu.Unlock()
	if p := f.pods[ns+"/"+name]; p != nil {
		return p.DeepCopy()
	}
	return nil
}

func (f *fakeControlPlane) RegisterNode(_ context.Context, n *corev1.Node) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nodes[n.Name] = n.DeepCopy()
	return nil
}

func (f *fakeControlPlane) Heartbeat(_ context.Context, node string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.nodes[node] == nil {
		return fmt.Errorf("node %s: %w", node, ErrNotFound)
	}
	f.heartbeats++
	return nil
}

func (f *fakeControlPlane) ListPods(_ context.Context, node string) ([]*corev1.Pod, uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []*corev1.Pod
	for _, p := range f.pods {
		if p.Spec.NodeName == node {
			out = append(out, roundTrip(p))
		}
	}
	return out, f.rv, nil
}

func (f *fakeControlPlane) WaitPods(ctx context.Context, _ string, afterRV uint64) error {
	f.mu.Lock()
	if f.rv > afterRV {
		f.mu.Unlock()
		return nil
	}
	ch := f.changed
	f.mu.Unlock()
	select {
	case <-ch:
	case <-ctx.Done():
	}
	return nil
}

func (f *fakeControlPlane) GetConfigMap(_ context.Context, ns, name string) (*corev1.ConfigMap, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if cm := f.configMaps[ns+"/"+name]; cm != nil {
		return cm.DeepCopy(), nil
	}
	return nil, fmt.Errorf("ConfigMap %s/%s: %w", ns, name, ErrNotFound)
}

func (f *fakeControlPlane) GetSecret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if s := f.secrets[ns+"/"+name]; s != nil {
		return s.DeepCopy(), nil
	}
	return nil, fmt.Errorf("Secret %s/%s: %w", ns, name, ErrNotFound)
}

func (f *fakeControlPlane) UpdatePodStatus(_ context.Context, p *corev1.Pod) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	cur := f.pods[p.Namespace+"/"+p.Name]
	if cur == nil || cur.UID != p.UID {
		return fmt.Errorf("pod %s/%s uid %s: %w", p.Namespace, p.Name, p.UID, ErrNotFound)
	}
	cur.Status = roundTrip(p).Status
	f.statusUpdates++
	f.bump()
	return nil
}

// roundTrip passes a pod through JSON, as the HTTP control plane does, so
// the tests see what a real status write loses (sub-second times, locations).
func roundTrip(p *corev1.Pod) *corev1.Pod {
	b, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	var out corev1.Pod
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return &out
}
