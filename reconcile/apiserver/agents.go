package apiserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/httpserver"
	"github.com/reconcile-dev/reconcile/reconcile/nodeipam"
	"github.com/reconcile-dev/reconcile/reconcile/nodelease"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// maxBody bounds what an agent may send; a node or pod status is far smaller.
const maxBody = 4 << 20

func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, maxBody)).Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad request body: %w", err))
		return false
	}
	return true
}

// registerNode creates the Node or replaces its labels, spec and status,
// but for spec.unschedulable and spec.taints (keepControllerSpec), and sets
// its annotations under NodeAnnotationPrefix: the agent is the authority on
// its own node (its other annotations stay).
func (s *Server) registerNode(w http.ResponseWriter, r *http.Request) {
	var n corev1.Node
	if !decodeBody(w, r, &n) {
		return
	}
	if n.Name == "" {
		writeError(w, http.StatusBadRequest, errors.New("node has no metadata.name"))
		return
	}
	objects.SetTypeMeta(&n, "Node")
	n.Annotations = agentAnnotations(nil, n.Annotations)
	setReady(&n, s.now())
	old, err := s.Store.Get(objects.KeyOf(&n))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		writeErr(w, err)
		return
	}
	if !s.admit(w, r, &n, old) { // a node registers only itself, never its podCIDR
		return
	}
	err = s.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.Get(objects.KeyOf(&n))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		// The controller owns spec.podCIDR: the same subnet on every
		// registration; one it already holds is kept without reading the
		// record of every node's subnet.
		if old, ok := cur.(*corev1.Node); ok && s.NodeIPAM.Holds(old.Spec.PodCIDR) {
			n.Spec.PodCIDR, n.Spec.PodCIDRs = old.Spec.PodCIDR, []string{old.Spec.PodCIDR}
		} else if err := nodeipam.Assign(tx, &n, s.NodeIPAM); err != nil {
			return err
		}
		if cur == nil {
			return tx.Create(&n)
		}
		old := cur.(*corev1.Node)
		keepControllerSpec(old, &n) // nodes.go: cordon and taints survive a re-registration (NodeRestriction for a node)
		old.Labels, old.Spec = n.Labels, n.Spec
		old.Annotations = agentAnnotations(old.Annotations, n.Annotations)
		if err := tx.Update(old); err != nil {
			return err
		}
		old.Status = n.Status
		return tx.UpdateStatus(old)
	})
	if err != nil {
		writeErr(w, err)
		return
	}
	s.leases().Renew(n.Name, s.now()) // a status post counts as a renewal
	writeJSON(w, http.StatusOK, apitypes.Ack{Status: "registered"})
}

// heartbeat is the agent's lease renewal (Kubernetes' node lease: the
// kubelet renews a coordination.k8s.io Lease every 10 s and posts its
// NodeStatus only when it changed). It is a write to the server's lease
// table in memory, flushed to the store once a second for every node at
// once (reconcile/nodelease), not a store transaction per node. A plain
// heartbeat means Ready=True: when the stored Node says otherwise (the
// node lifecycle controller marked it Unknown, or the agent had reported
// its runtime down) the Node's status is written too, at once.
//
// A heartbeat within nodelease.DefaultCheckInterval of one that found the
// Node Ready does not read it (nodelease.Table.RenewChecked): one read
// every third heartbeat.
func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	now, name := s.now(), r.PathValue("name")
	if s.leases().RenewChecked(name, now, nodelease.DefaultCheckInterval) {
		writeAckOK(w)
		return
	}
	if s.renewNode(w, name, isReady, func(n *corev1.Node) { setReady(n, now) }) {
		s.leases().MarkChecked(name, now)
	}
}

// jsonContentType is the Content-Type of a JSON answer, shared (never
// modified).
var jsonContentType = []string{"application/json"}

// ackOK is apitypes.Ack{Status: "ok"} as writeJSON writes it, encoded
// once: most heartbeats answer only that.
var ackOK = func() []byte {
	b, _ := json.Marshal(apitypes.Ack{Status: "ok"})
	return append(b, '\n')
}()

// writeAckOK is writeJSON(w, 200, apitypes.Ack{Status: "ok"}), with the
// Date header formatted once a second instead of per heartbeat
// (httpserver.Date).
func writeAckOK(w http.ResponseWriter) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Date"] = httpserver.Date(time.Now())
	w.WriteHeader(http.StatusOK)
	w.Write(ackOK)
}

// isReady: the stored Ready condition is True (a heartbeat changes nothing
// on the Node).
func isReady(n *corev1.Node) bool {
	c := readyCondition(n)
	return c != nil && c.Status == corev1.ConditionTrue
}

func readyCondition(n *corev1.Node) *corev1.NodeCondition {
	for i := range n.Status.Conditions {
		if n.Status.Conditions[i].Type == corev1.NodeReady {
			return &n.Status.Conditions[i]
		}
	}
	return nil
}

// renewNode renews registered node name's lease and, only when current
// says the stored Node differs from what the agent reports, writes mark
// onto its status. It says whether the Node now says what the agent does.
func (s *Server) renewNode(w http.ResponseWriter, name string, current func(*corev1.Node) bool, mark func(*corev1.Node)) bool {
	// Shared: current only reads it (a deep copy of the Node was most of
	// a heartbeat's read).
	o, err := s.Store.GetShared(objects.Key{Kind: "Node", Name: name})
	if err != nil {
		writeNodeErr(w, name, err)
		return false
	}
	if n, ok := o.(*corev1.Node); ok && current(n) {
		s.leases().Renew(name, s.now())
		writeAckOK(w)
		return true
	}
	return s.updateNodeStatus(w, name, mark)
}

// updateNodeStatus applies mark to the status of registered node name
// (a heartbeat or a Ready report that changes it), renews its lease and
// answers the agent; it says whether it wrote.
func (s *Server) updateNodeStatus(w http.ResponseWriter, name string, mark func(*corev1.Node)) bool {
	err := s.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.Get(objects.Key{Kind: "Node", Name: name})
		if err != nil {
			return err
		}
		n := cur.(*corev1.Node)
		mark(n)
		return tx.UpdateStatus(n)
	})
	if err != nil {
		writeNodeErr(w, name, err)
		return false
	}
	s.leases().Renew(name, s.now())
	writeAckOK(w)
	return true
}

// setReady marks the node Ready with a fresh heartbeat time.
func setReady(n *corev1.Node, now time.Time) {
	t := metav1.NewTime(now.UTC().Truncate(time.Second))
	for i := range n.Status.Conditions {
		c := &n.Status.Conditions[i]
		if c.Type == corev1.NodeReady {
			if c.Status != corev1.ConditionTrue {
				c.LastTransitionTime = t
			}
			c.Status, c.Reason, c.Message, c.LastHeartbeatTime = corev1.ConditionTrue, "AgentReady", "the agent is posting heartbeats", t
			return
		}
	}
	n.Status.Conditions = append(n.Status.Conditions, corev1.NodeCondition{
		Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "AgentReady",
		Message: "the agent is posting heartbeats", LastHeartbeatTime: t, LastTransitionTime: t,
	})
}

// podStatus writes the status an agent observed, committed with the other
// status writes queued meanwhile (status_batch.go). The uid check keeps a
// late report about a deleted pod from landing on a new pod of the same
// name.
func (s *Server) podStatus(w http.ResponseWriter, r *http.Request) {
	var p corev1.Pod
	if !decodeBody(w, r, &p) {
		return
	}
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = "default"
	}
	write := &statusWrite{key: objects.Key{Kind: "Pod", Namespace: ns, Name: r.PathValue("name")}, uid: string(p.UID), status: p.Status}
	err := s.statuses().write(r.Context(), write)
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeAckOK(w)
}

// updatePod runs fn on the pod the request names, in one transaction,
// refusing a pod whose uid is not uid (when uid is given), and answers.
func (s *Server) updatePod(w http.ResponseWriter, r *http.Request, uid, answer string, fn func(*store.Tx, *corev1.Pod) error) {
	ns := r.URL.Query().Get("namespace")
	if ns == "" {
		ns = "default"
	}
	key := objects.Key{Kind: "Pod", Namespace: ns, Name: r.PathValue("name")}
	err := s.Store.Update(func(tx *store.Tx) error {
		cur, err := tx.Get(key)
		if err != nil {
			return err
		}
		stored := cur.(*corev1.Pod)
		if uid != "" && string(stored.UID) != uid {
			return fmt.Errorf("%w: pod %s has uid %s, the request is for uid %s", store.ErrNotFound, key, stored.UID, uid)
		}
		return fn(tx, stored)
	})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, err)
		return
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, apitypes.Ack{Status: answer})
}

// writeNodeErr answers a failed read or write of node name's status: an
// unregistered node is told to register.
func writeNodeErr(w http.ResponseWriter, name string, err error) {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, fmt.Errorf("node %q is not registered: the agent registers at start", name))
		return
	}
	writeErr(w, err)
}
