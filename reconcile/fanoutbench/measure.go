package fanoutbench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// Options of one measurement.
type Options struct {
	// Dir is the store's directory (a real Badger store on disk).
	Dir string
	// Nodes is the number of node watchers (one per node).
	Nodes int
	// PodsPerNode are created bound to each node before the watchers start.
	PodsPerNode int
	// Admins watch every object (the CLI's `get -w`, dashboards).
	Admins int
	// Writes is the number of pod status writes measured (distinct pods,
	// spread over the nodes).
	Writes int
	// Concurrency is the number of status writes in flight (agents
	// reporting at once).
	Concurrency int
	// Timeout bounds the wait for every event to reach its watchers.
	Timeout time.Duration
	// StatusBatch is the API server's pod status writes per transaction
	// (0: its default; 1: each alone, to compare).
	StatusBatch int
}

// Result of one measurement. Latencies run from the start of a status
// write's request to the moment a watcher read the event.
type Result struct {
	Watchers   int
	Writes     int
	Pods       int
	WriteRate  float64       // status writes answered per second
	EveryP50   time.Duration // per write: until every interested watcher had it
	EveryP99   time.Duration
	EachP50    time.Duration // per delivery (one watcher, one event)
	EachP99    time.Duration
	Missing    int           // deliveries that did not arrive before the timeout
	Wall       time.Duration // first write to last delivery
	CPU        time.Duration // process CPU (user+system) over Wall: server, store, clients
	SetupTime  time.Duration // creating the nodes and pods
	Deliveries int
	// Transactions the status writes took (group commit); 0 when the
	// server does not batch them.
	Transactions int
	// Server is the fan-out's own view: from an event's arrival after its
	// commit to its write on each watch's connection.
	Server apiserver.DelaySnapshot
	// Dropped watches (fell too far behind).
	Dropped int64
	// ControllerP50/P99: a controller's small transaction (a side record),
	// every 2 ms while the status writes run: how long the store's writer
	// keeps it waiting.
	ControllerP50, ControllerP99 time.Duration
}

func (r Result) String() string {
	return fmt.Sprintf("%d watchers, %d pods, %d writes in %d transactions: every interested watcher p50 %v p99 %v; each delivery p50 %v p99 %v; server-side commit→write p50 %v p99 %v; %.0f writes/s; wall %v, CPU %v; missing %d, dropped watches %d; a controller's transaction meanwhile p50 %v p99 %v",
		r.Watchers, r.Pods, r.Writes, r.Transactions, r.EveryP50.Round(time.Microsecond), r.EveryP99.Round(time.Microsecond),
		r.EachP50.Round(time.Microsecond), r.EachP99.Round(time.Microsecond), r.Server.P50.Round(time.Microsecond), r.Server.P99.Round(time.Microsecond), r.WriteRate,
		r.Wall.Round(time.Millisecond), r.CPU.Round(time.Millisecond), r.Missing, r.Dropped,
		r.ControllerP50.Round(time.Microsecond), r.ControllerP99.Round(time.Microsecond))
}

const benchToken = "fanoutbench-token"

// Measure runs one measurement: it creates the nodes and pods, opens the
// watches, writes the statuses and waits for every delivery.
func Measure(ctx context.Context, o Options) (Result, error) {
	if o.Timeout == 0 {
		o.Timeout = 2 * time.Minute
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	st, err := store.Open(o.Dir)
	if err != nil {
		return Result{}, err
	}
	defer st.Close()
	t0 := time.Now()
	pods, err := populate(st, o.Nodes, o.PodsPerNode)
	if err != nil {
		return Result{}, err
	}
	res := Result{Watchers: o.Nodes + o.Admins, Pods: len(pods), SetupTime: time.Since(t0)}

	srv := &apiserver.Server{Store: st, Token: benchToken}
	if o.StatusBatch > 0 {
		srv.SetStatusBatch(o.StatusBatch)
	}
	hs := httptest.NewServer(asNode(srv.Handler()))
	defer hs.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: o.Concurrency * 2, MaxConnsPerHost: 0}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rv := st.ResourceVersion()
	rec := newRecorder()
	var ready sync.WaitGroup
	var watchErr atomic.Value
	open := func(node string, q url.Values, who int) {
		ready.Add(1)
		go func() {
			if err := watch(ctx, client, hs.URL, node, q, who, rec, ready.Done); err != nil && ctx.Err() == nil {
				watchErr.Store(err)
			}
		}()
	}
	for i := range o.Nodes {
		node := nodeName(i)
		open(node, url.Values{"kind": {"Pod"}, "node": {node}, "resourceVersion": {fmt.Sprint(rv)}}, i)
	}
	for a := range o.Admins {
		open("", url.Values{"resourceVersion": {fmt.Sprint(rv)}}, o.Nodes+a)
	}
	ready.Wait()
	if err, _ := watchErr.Load().(error); err != nil {
		return res, err
	}
	srv.WatchDelay().Reset()

	// The writes: distinct pods, round robin over the nodes.
	n := min(o.Writes, len(pods))
	res.Writes = n
	targets := make([]*corev1.Pod, n)
	for i := range n {
		node := i % o.Nodes
		targets[i] = pods[node*o.PodsPerNode+(i/o.Nodes)%o.PodsPerNode]
	}
	expect := make(map[string]int, n) // pod name → interested watchers
	for _, p := range targets {
		expect[p.Name] = 1 + o.Admins
	}
	rec.expect(expect)
	cpu0 := cpuTime()
	start := time.Now()
	ctl := make(chan []time.Duration)
	ctlStop := make(chan struct{})
	go func() { ctl <- controllerWrites(st, ctlStop) }()
	var next atomic.Int64
	var wg sync.WaitGroup
	var writeErr atomic.Value
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				p := targets[i]
				rec.started(p.Name, time.Now())
				if err := writeStatus(ctx, client, hs.URL, p); err != nil {
					writeErr.Store(err)
				}
			}
		}()
	}
	wg.Wait()
	writesDone := time.Since(start)
	close(ctlStop)
	ctlTimes := <-ctl
	res.ControllerP50, res.ControllerP99 = Percentile(ctlTimes, 50), Percentile(ctlTimes, 99)
	if err, _ := writeErr.Load().(error); err != nil {
		return res, err
	}
	res.WriteRate = float64(n) / writesDone.Seconds()
	select {
	case <-rec.done:
	case <-time.After(o.Timeout):
	case <-ctx.Done():
	}
	res.Wall = time.Since(start)
	res.CPU = cpuTime() - cpu0
	rec.summarise(&res)
	_, res.Transactions = srv.StatusWrites()
	res.Server = srv.WatchDelay().Snapshot()
	res.Dropped = srv.WatchesDropped()
	return res, nil
}

// controllerWrites times a small transaction every 2 ms until stop.
func controllerWrites(st *store.Store, stop <-chan struct{}) []time.Duration {
	var out []time.Duration
	t := time.NewTicker(2 * time.Millisecond)
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return out
		case <-t.C:
		}
		t0 := time.Now()
		if st.Update(func(tx *store.Tx) error { return tx.PutMeta("fanoutbench/tick", i) }) == nil {
			out = append(out, time.Since(t0))
		}
	}
}

// asNode gives a request carrying X-Bench-Node the verified certificate
// subject of that node, as the TLS handshake would.
func asNode(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if node := r.Header.Get("X-Bench-Node"); node != "" {
			cert := &x509.Certificate{Subject: pki.NodeSubject(node), SerialNumber: big.NewInt(1)}
			r.TLS = &tls.ConnectionState{VerifiedChains: [][]*x509.Certificate{{cert}}}
		}
		h.ServeHTTP(w, r)
	})
}

func request(ctx context.Context, method, base, path string, q url.Values, node string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, base+path+"?"+q.Encode(), body)
	if err != nil {
		return nil, err
	}
	if node != "" {
		req.Header.Set("X-Bench-Node", node)
	} else {
		req.Header.Set("Authorization", "Bearer "+benchToken)
	}
	return req, nil
}

var nameField = []byte(`"name":"`)

// watch reads one watch stream, recording when each pod's event arrived.
func watch(ctx context.Context, c *http.Client, base, node string, q url.Values, who int, rec *recorder, ready func()) error {
	req, err := request(ctx, http.MethodGet, base, "/api/v1/watch", q, node, nil)
	if err != nil {
		ready()
		return err
	}
	resp, err := c.Do(req)
	ready()
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("watch as %q: %s: %s", node, resp.Status, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		// The object's metadata.name is the first "name" of a pod's line.
		i := bytes.Index(line, nameField)
		if i < 0 {
			continue
		}
		rest := line[i+len(nameField):]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			continue
		}
		rec.arrived(string(rest[:j]), who, time.Now())
	}
	return sc.Err()
}

func writeStatus(ctx context.Context, c *http.Client, base string, p *corev1.Pod) error {
	p = p.DeepCopy()
	now := metav1.Now()
	p.Status.Phase = corev1.PodRunning
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: now}}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "example/app:v1", Ready: true,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}}, ContainerID: "podman://" + string(p.UID)}}
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	req, err := request(ctx, http.MethodPut, base, "/api/v1/pods/"+p.Name+"/status", url.Values{"namespace": {p.Namespace}}, p.Spec.NodeName, bytes.NewReader(b))
	if err != nil {
		return err
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status of %s: %s: %s", p.Name, resp.Status, body)
	}
	return nil
}

func nodeName(i int) string { return fmt.Sprintf("node-%05d", i) }

// populate creates the nodes and their pods, 500 objects a transaction.
func populate(st *store.Store, nodes, perNode int) ([]*corev1.Pod, error) {
	var all []objects.Object
	var pods []*corev1.Pod
	for i := range nodes {
		all = append(all, &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
			ObjectMeta: metav1.ObjectMeta{Name: nodeName(i), Labels: map[string]string{"kubernetes.io/hostname": nodeName(i)}}})
		for j := range perNode {
			p := benchPod(fmt.Sprintf("app-%05d-%03d", i, j), nodeName(i))
			pods = append(pods, p)
			all = append(all, p)
		}
	}
	for len(all) > 0 {
		chunk := all[:min(500, len(all))]
		all = all[len(chunk):]
		if err := st.Update(func(tx *store.Tx) error {
			for _, o := range chunk {
				if err := tx.Create(o); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("populating the store: %w", err)
		}
	}
	// The store set uids: read them back for the status writes' uid check.
	for i, p := range pods {
		o, err := st.Get(objects.KeyOf(p))
		if err != nil {
			return nil, err
		}
		pods[i] = o.(*corev1.Pod)
	}
	return pods, nil
}

// benchPod is a Deployment's pod as the scheduler leaves it: bound, one
// container with requests, a few labels.
func benchPod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default",
			Labels: map[string]string{"app": "bench", "pod-template-hash": "5d8f7c9b6"}},
		Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{
			Name: "app", Image: "example/app:v1",
			Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: corev1.ProtocolTCP}},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("16Mi")}},
		}}},
		Status: corev1.PodStatus{Phase: corev1.PodPending},
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// recorder collects start and arrival times.
type recorder struct {
	mu      sync.Mutex
	want    map[string]int // pod → deliveries still expected
	start   map[string]time.Time
	last    map[string]time.Time
	each    []time.Duration
	pending int
	done    chan struct{}
}

func newRecorder() *recorder { return &recorder{done: make(chan struct{})} }

func (r *recorder) expect(want map[string]int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.want, r.start, r.last = want, map[string]time.Time{}, map[string]time.Time{}
	for _, n := range want {
		r.pending += n
	}
}

func (r *recorder) started(pod string, t time.Time) {
	r.mu.Lock()
	r.start[pod] = t
	r.mu.Unlock()
}

func (r *recorder) arrived(pod string, _ int, t time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.start[pod]
	if !ok || r.want[pod] == 0 {
		return // an event of the setup, or of another pod
	}
	r.want[pod]--
	r.each = append(r.each, t.Sub(s))
	if t.After(r.last[pod]) {
		r.last[pod] = t
	}
	r.pending--
	if r.pending == 0 {
		close(r.done)
	}
}

func (r *recorder) summarise(res *Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var every []time.Duration
	for pod, s := range r.start {
		if r.want[pod] == 0 {
			every = append(every, r.last[pod].Sub(s))
		}
	}
	res.Missing = r.pending
	res.Deliveries = len(r.each)
	res.EveryP50, res.EveryP99 = Percentile(every, 50), Percentile(every, 99)
	res.EachP50, res.EachP99 = Percentile(r.each, 50), Percentile(r.each, 99)
}

// Percentile is the p-th percentile (nearest rank) of ds; 0 when empty.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s))*p/100+0.5) - 1
	return s[max(0, min(i, len(s)-1))]
}
