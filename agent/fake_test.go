package agent

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
	registrations int
	statusUpdates int
	finalized     []string                      // namespace/name of pods removed by FinalizePod
	lastStatus    map[string][]corev1.PodStatus // every status written, kept after finalization
	events        map[string]*corev1.Event
}

func newFakeControlPlane() *fakeControlPlane {
	return &fakeControlPlane{changed: make(chan struct{}), pods: map[string]*corev1.Pod{},
		configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, nodes: map[string]*corev1.Node{},
		events: map[string]*corev1.Event{}, lastStatus: map[string][]corev1.PodStatus{}}
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
	f.registrations++
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
	f.lastStatus[p.Namespace+"/"+p.Name] = append(f.lastStatus[p.Namespace+"/"+p.Name], cur.Status)
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

func (f *fakeControlPlane) FinalizePod(_ context.Context, p *corev1.Pod) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	key := p.Namespace + "/" + p.Name
	cur := f.pods[key]
	if cur == nil || cur.UID != p.UID {
		return fmt.Errorf("pod %s uid %s: %w", key, p.UID, ErrNotFound)
	}
	delete(f.pods, key)
	f.finalized = append(f.finalized, key)
	f.bump()
	return nil
}

func (f *fakeControlPlane) RecordEvent(_ context.Context, ev *corev1.Event) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events[ev.Namespace+"/"+ev.Name] = ev.DeepCopy()
	return nil
}

// eventsFor returns "reason: message (count)" of the events about a pod, sorted.
func (f *fakeControlPlane) eventsFor(name string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, ev := range f.events {
		if ev.InvolvedObject.Name == name {
			out = append(out, fmt.Sprintf("%s: %s (%d)", ev.Reason, ev.Message, ev.Count))
		}
	}
	sort.Strings(out)
	return out
}

func (f *fakeControlPlane) isFinalized(ns, name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range f.finalized {
		if k == ns+"/"+name {
			return true
		}
	}
	return false
}

// deleteGracefully marks a pod terminating as the API server does.
func (f *fakeControlPlane) deleteGracefully(ns, name string, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := f.pods[ns+"/"+name]
	ts := metav1.NewTime(at.Truncate(time.Second))
	p.DeletionTimestamp = &ts
	grace := gracePeriodSeconds(p)
	p.DeletionGracePeriodSeconds = &grace
	f.bump()
}

// terminatedStatus returns the last status written for the pod whose
// containers are all terminated, if any.
func (f *fakeControlPlane) terminatedStatus(ns, name string) (corev1.PodStatus, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	hist := f.lastStatus[ns+"/"+name]
	for i := len(hist) - 1; i >= 0; i-- {
		st := hist[i]
		all := len(st.ContainerStatuses) > 0
		for _, cs := range st.ContainerStatuses {
			all = all && cs.State.Terminated != nil
		}
		if all {
			return st, true
		}
	}
	return corev1.PodStatus{}, false
}
