package podmetrics

import (
	"cmp"
	"slices"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultMaxAge is how long a report counts when no newer one came: a node
// that stopped reporting (lost, or its agent stopped) has no usage after
// it, as metrics-server forgets a node it cannot scrape.
const DefaultMaxAge = 2 * time.Minute

// Store is the latest usage per pod, by node. Safe for concurrent use.
type Store struct {
	// Now is the clock (default time.Now); MaxAge drops older reports
	// (default DefaultMaxAge).
	Now    func() time.Time
	MaxAge time.Duration

	mu    sync.RWMutex
	nodes map[string]nodeEntry
}

type nodeEntry struct {
	received time.Time
	pods     []PodMetrics
}

// New returns an empty store on the real clock.
func New() *Store { return &Store{} }

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Store) fresh(e nodeEntry, now time.Time) bool {
	age := s.MaxAge
	if age == 0 {
		age = DefaultMaxAge
	}
	return now.Sub(e.received) <= age
}

// Report replaces what node reported before. The caller has checked that
// every pod of r is bound to r.Node (the API server's node authorizer).
func (s *Store) Report(r NodeReport) {
	pods := make([]PodMetrics, len(r.Pods))
	for i, p := range r.Pods {
		p.TypeMeta = metav1.TypeMeta{Kind: "PodMetrics", APIVersion: APIVersion}
		pods[i] = p
	}
	slices.SortFunc(pods, func(a, b PodMetrics) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nodes == nil {
		s.nodes = map[string]nodeEntry{}
	}
	s.nodes[r.Node] = nodeEntry{received: s.now(), pods: pods}
}

// Forget drops a node's usage (the node was deleted).
func (s *Store) Forget(node string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.nodes, node)
}

// Pods returns the usage of the pods of namespace ("" = every namespace),
// sorted by namespace and name.
func (s *Store) Pods(namespace string) []PodMetrics {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []PodMetrics
	for _, e := range s.nodes {
		if !s.fresh(e, now) {
			continue
		}
		for _, p := range e.pods {
			if namespace == "" || p.Namespace == namespace {
				out = append(out, p)
			}
		}
	}
	slices.SortFunc(out, func(a, b PodMetrics) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// Pod returns the usage of one pod (by uid when uid is not empty).
func (s *Store) Pod(namespace, name, uid string) (PodMetrics, bool) {
	for _, p := range s.Pods(namespace) {
		if p.Name == name && (uid == "" || string(p.UID) == uid) {
			return p, true
		}
	}
	return PodMetrics{}, false
}

// Nodes returns each reporting node's usage: the sum of its pods'.
func (s *Store) Nodes() []NodeMetrics {
	now := s.now()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []NodeMetrics
	for name, e := range s.nodes {
		if !s.fresh(e, now) {
			continue
		}
		nm := NodeMetrics{TypeMeta: metav1.TypeMeta{Kind: "NodeMetrics", APIVersion: APIVersion},
			ObjectMeta: metav1.ObjectMeta{Name: name}, Timestamp: metav1.NewTime(e.received),
			Usage: corev1.ResourceList{corev1.ResourceCPU: *resource.NewScaledQuantity(0, resource.Nano),
				corev1.ResourceMemory: *resource.NewQuantity(0, resource.BinarySI)}}
		for _, p := range e.pods {
			if p.Window.Duration > nm.Window.Duration {
				nm.Window = p.Window
			}
			if p.Timestamp.After(nm.Timestamp.Time) || nm.Timestamp.IsZero() {
				nm.Timestamp = p.Timestamp
			}
			for _, c := range p.Containers {
				add(nm.Usage, corev1.ResourceCPU, c.Usage)
				add(nm.Usage, corev1.ResourceMemory, c.Usage)
			}
		}
		out = append(out, nm)
	}
	slices.SortFunc(out, func(a, b NodeMetrics) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func add(sum corev1.ResourceList, name corev1.ResourceName, usage corev1.ResourceList) {
	q, ok := usage[name]
	if !ok {
		return
	}
	t := sum[name]
	t.Add(q)
	sum[name] = t
}

// CPU returns a container's or pod's cpu usage in millicores.
func CPU(usage corev1.ResourceList) int64 {
	q := usage[corev1.ResourceCPU]
	return q.MilliValue()
}

// Memory returns a memory usage in bytes.
func Memory(usage corev1.ResourceList) int64 {
	q := usage[corev1.ResourceMemory]
	return q.Value()
}

// PodTotal sums a pod's containers' usage.
func PodTotal(p PodMetrics) corev1.ResourceList {
	sum := corev1.ResourceList{}
	for _, c := range p.Containers {
		add(sum, corev1.ResourceCPU, c.Usage)
		add(sum, corev1.ResourceMemory, c.Usage)
	}
	return sum
}

// Usage builds a container's usage list from nanocores and bytes, in the
// units metrics-server writes ("12345n", bytes as "…Ki").
func Usage(nanoCores, memoryBytes int64) corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourceCPU:    *resource.NewScaledQuantity(nanoCores, resource.Nano),
		corev1.ResourceMemory: *resource.NewQuantity(memoryBytes, resource.BinarySI),
	}
}
