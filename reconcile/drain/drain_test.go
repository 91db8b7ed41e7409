package drain_test

import (
	"bytes"
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/drain"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// cluster is a real API server over a real store, with a stand-in for the
// node's agent: it removes a terminating pod once told to (as an agent
// does after stopping its containers).
func cluster(t *testing.T) (*store.Store, *apiclient.Client) {
	t.Helper()
	st, err := store.OpenInMemory()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := httptest.NewServer((&apiserver.Server{Store: st}).Handler())
	t.Cleanup(hs.Close)
	c := apiclient.New(hs.URL, "")
	if err := (apiclient.ControlPlane{Client: c}).RegisterNode(context.Background(), &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}); err != nil {
		t.Fatal(err)
	}
	return st, c
}

// agent finalizes terminating pods of the store until ctx ends.
func agent(ctx context.Context, st *store.Store) {
	events, err := st.Watch(ctx, 0)
	if err != nil {
		return
	}
	for ev := range events {
		p, ok := ev.Object.(*corev1.Pod)
		if !ok || ev.Type == store.Deleted || p.DeletionTimestamp == nil {
			continue
		}
		st.Update(func(tx *store.Tx) error {
			cur, err := tx.Get(objects.KeyOf(p))
			if err != nil || cur.GetUID() != p.UID {
				return nil
			}
			return tx.Delete(objects.KeyOf(p))
		})
	}
}

func pod(name, owner string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "img"}}}}
	objects.SetTypeMeta(p, "Pod")
	if owner != "" {
		p.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: owner, Name: "o", UID: types.UID(owner), Controller: ptr.To(true)}}
	}
	return p
}

func create(t *testing.T, st *store.Store, pods ...*corev1.Pod) {
	t.Helper()
	if err := st.Update(func(tx *store.Tx) error {
		for _, p := range pods {
			if err := tx.Create(p); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func storedPods(t *testing.T, st *store.Store) string {
	objs, _, err := st.List("Pod", "")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.GetName())
	}
	return strings.Join(out, ",")
}

func TestDrainEvictsAndKeepsDaemonSetPods(t *testing.T) {
	st, c := cluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go agent(ctx, st)
	create(t, st, pod("web-1", "ReplicaSet"), pod("web-2", "ReplicaSet"), pod("logs", "DaemonSet"))
	var out bytes.Buffer
	if err := drain.Drain(ctx, c, "n1", drain.Settings{Timeout: 20 * time.Second, PollInterval: 10 * time.Millisecond}, &out); err != nil {
		t.Fatalf("drain: %v\n%s", err, out.String())
	}
	want := `node/n1 cordoned
Warning: ignoring DaemonSet-managed Pods: default/logs
evicting pod default/web-1
evicting pod default/web-2
pod/web-1 evicted
pod/web-2 evicted
node/n1 drained
`
	got := out.String()
	// The two "evicted" lines come in the order the pods went.
	if strings.ReplaceAll(got, "pod/web-2 evicted\npod/web-1 evicted", "pod/web-1 evicted\npod/web-2 evicted") != want {
		t.Errorf("output:\n%s\nwant:\n%s", got, want)
	}
	if got := storedPods(t, st); got != "logs" {
		t.Errorf("pods left: %s, want the DaemonSet's only", got)
	}
	n, _ := st.Get(objects.Key{Kind: "Node", Name: "n1"})
	if !n.(*corev1.Node).Spec.Unschedulable {
		t.Error("the drained node is not cordoned")
	}
	// Draining again: nothing to do.
	out.Reset()
	if err := drain.Drain(ctx, c, "n1", drain.Settings{PollInterval: 10 * time.Millisecond}, &out); err != nil || !strings.HasPrefix(out.String(), "node/n1 already cordoned\n") {
		t.Errorf("second drain: %v\n%s", err, out.String())
	}
}

func TestDrainRefusesBarePodsUnlessForced(t *testing.T) {
	st, c := cluster(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go agent(ctx, st)
	create(t, st, pod("web", "ReplicaSet"), pod("bare", ""))
	var out bytes.Buffer
	err := drain.Drain(ctx, c, "n1", drain.Settings{PollInterval: 10 * time.Millisecond}, &out)
	if err == nil || !strings.Contains(err.Error(), "cannot delete Pods that declare no controller (use --force to override): default/bare") {
		t.Fatalf("drain with a bare pod: %v", err)
	}
	if got := storedPods(t, st); got != "bare,web" {
		t.Fatalf("a refused drain evicted pods: left %s", got)
	}
	out.Reset()
	if err := drain.Drain(ctx, c, "n1", drain.Settings{Options: drain.Options{Force: true}, PollInterval: 10 * time.Millisecond}, &out); err != nil {
		t.Fatalf("drain --force: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "Warning: deleting Pods that declare no controller: default/bare") || storedPods(t, st) != "" {
		t.Errorf("drain --force: left %q\n%s", storedPods(t, st), out.String())
	}
}

func TestDrainTimesOutWhileAPodStays(t *testing.T) {
	st, c := cluster(t) // no agent: the evicted pod stays terminating
	create(t, st, pod("web", "ReplicaSet"))
	var out bytes.Buffer
	err := drain.Drain(context.Background(), c, "n1", drain.Settings{Timeout: 200 * time.Millisecond, PollInterval: 10 * time.Millisecond}, &out)
	if err == nil || !strings.Contains(err.Error(), "timed out waiting for pods to be gone: default/web") {
		t.Fatalf("drain without an agent: %v\n%s", err, out.String())
	}
}

func TestCordonUncordon(t *testing.T) {
	_, c := cluster(t)
	ctx := context.Background()
	var out bytes.Buffer
	for _, on := range []bool{true, true, false, false} {
		if err := drain.Cordon(ctx, c, "n1", on, &out); err != nil {
			t.Fatal(err)
		}
	}
	want := "node/n1 cordoned\nnode/n1 already cordoned\nnode/n1 uncordoned\nnode/n1 already uncordoned\n"
	if out.String() != want {
		t.Errorf("got\n%s\nwant\n%s", out.String(), want)
	}
	if err := drain.Cordon(ctx, c, "nope", true, &out); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cordon of a missing node: %v", err)
	}
}
