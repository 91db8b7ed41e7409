package apiserver

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/agent"
	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/clusterid"
	"github.com/reconcile-dev/reconcile/reconcile/podmetrics"
	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestAgentCallsAsNode makes every call an agent makes to the controller
// (agent.ControlPlane and its optional parts, the pod network's node
// source, the proxy's and DNS server's service source), through the real
// HTTP clients, with node a's certificate: the node rules allow each of
// them for its own objects. The calls, by caller:
//
//	agent       RegisterNode, Heartbeat, ReportNodeReady, ListPods, WaitPods,
//	            GetConfigMap, GetSecret (values), UpdatePodStatus, RecordEvent,
//	            FinalizePod, ClusterID, AdoptPod
//	bootstrap   RegisterNode, Nodes.ListNodes, Nodes.WaitNodes
//	discovery   Services.List, Services.Wait, ListServices(namespace)
//	proxy       ServiceCache (the same lists, then watches of Service and Endpoints)
func TestAgentCallsAsNode(t *testing.T) {
	st := openStore(t)
	cluster(t, st)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	objects.SetTypeMeta(svc, "Service")
	eps := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}}
	objects.SetTypeMeta(eps, "Endpoints")
	if err := st.Update(func(tx *store.Tx) error {
		if err := tx.PutMeta(clusterid.MetaKey, "0123456789abcdef"); err != nil {
			return err
		}
		if err := tx.Create(svc); err != nil {
			return err
		}
		return tx.Create(eps)
	}); err != nil {
		t.Fatal(err)
	}
	ca := newTestCA(t)
	usage := podmetrics.New()
	hs := tlsServer(t, &Server{Store: st, Token: "admin-token", Usage: usage}, ca)
	certA, _ := ca.node(t, "a")
	// apiclient's clients use http.DefaultTransport; until clientconfig
	// carries the TLS config, the test gives it node a's certificate.
	old := http.DefaultTransport
	http.DefaultTransport = clientFor(hs, &certA).Transport
	t.Cleanup(func() { http.DefaultTransport = old })

	c := apiclient.New(hs.URL, "")
	cp := apiclient.ControlPlane{Client: c}
	var _ agent.ControlPlane = cp
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s as node a: %v", what, err)
		}
	}

	must("RegisterNode", cp.RegisterNode(ctx, agent.NodeObject("a", agent.HostInfo{Hostname: "a", CPUs: 2, MemoryBytes: 1 << 30, IP: "10.0.0.1"}, "test", time.Now())))
	must("Heartbeat", cp.Heartbeat(ctx, "a"))
	must("ReportNodeReady", cp.ReportNodeReady(ctx, "a", agent.RuntimeCondition("unix:///run/podman.sock", nil, time.Now())))
	pods, _, err := cp.ListPods(ctx, "a")
	must("ListPods", err)
	if len(pods) != 1 || pods[0].Name != "web" {
		t.Fatalf("ListPods: %d pods, want web only", len(pods))
	}
	must("WaitPods", cp.WaitPods(ctx, "a", 0))
	cm, err := cp.GetConfigMap(ctx, "shop", "cfg")
	must("GetConfigMap", err)
	sec, err := cp.GetSecret(ctx, "shop", "db")
	must("GetSecret", err)
	if cm.Data["k"] != "v" || string(sec.Data["pw"]) != "value-of-db" {
		t.Fatalf("GetConfigMap/GetSecret without their values: %v %v", cm.Data, sec.Data)
	}
	web := pods[0].DeepCopy()
	web.Status.Phase = corev1.PodRunning
	must("UpdatePodStatus", cp.UpdatePodStatus(ctx, web))
	must("RecordEvent", cp.RecordEvent(ctx, &corev1.Event{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web.1"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: "shop", Name: "web", UID: web.UID}, Reason: "Started", Type: "Normal"}))
	var _ agent.UsageReporter = cp
	webUsage := podmetrics.PodMetrics{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web", UID: web.UID},
		Containers: []podmetrics.ContainerMetrics{{Name: "c", Usage: podmetrics.Usage(250e6, 64<<20)}}}
	must("ReportUsage", cp.ReportUsage(ctx, podmetrics.NodeReport{Node: "a", Pods: []podmetrics.PodMetrics{webUsage}}))
	if got := usage.Pods("shop"); len(got) != 1 || got[0].Name != "web" || podmetrics.CPU(got[0].Containers[0].Usage) != 250 {
		t.Fatalf("the usage store after node a's report: %+v", got)
	}
	otherUsage := podmetrics.PodMetrics{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "other"}}
	if err := cp.ReportUsage(ctx, podmetrics.NodeReport{Node: "a", Pods: []podmetrics.PodMetrics{webUsage, otherUsage}}); !errors.Is(err, apierrors.ErrForbidden) {
		t.Fatalf("node a reporting usage of node b's pod: %v, want Forbidden", err)
	}
	if err := cp.ReportUsage(ctx, podmetrics.NodeReport{Node: "b"}); !errors.Is(err, apierrors.ErrForbidden) {
		t.Fatalf("node a reporting as node b: %v, want Forbidden", err)
	}
	if _, err := c.PodMetrics(ctx, "shop"); !errors.Is(err, apierrors.ErrForbidden) {
		t.Fatalf("node a reading the metrics API: %v, want Forbidden", err)
	}
	id, err := cp.ClusterID(ctx)
	must("ClusterID", err)
	if id != "0123456789abcdef" {
		t.Fatalf("ClusterID %q", id)
	}
	orphan := pod("orphan", "a")
	orphan.UID = "uid-orphan"
	res, err := cp.AdoptPod(ctx, orphan)
	must("AdoptPod", err)
	if res != "adopted" {
		t.Fatalf("AdoptPod: %s", res)
	}

	nodes, _, err := apiclient.Nodes{Client: c}.ListNodes(ctx)
	must("ListNodes", err)
	if len(nodes) != 2 {
		t.Fatalf("ListNodes: %d nodes, want both (routes to every podCIDR)", len(nodes))
	}
	must("WaitNodes", apiclient.Nodes{Client: c}.WaitNodes(ctx, 0))
	svcs, epss, _, err := apiclient.Services{Client: c}.List(ctx)
	must("Services.List", err)
	if len(svcs) != 1 || len(epss) != 1 {
		t.Fatalf("Services.List: %d services, %d endpoints", len(svcs), len(epss))
	}
	must("Services.Wait", apiclient.Services{Client: c}.Wait(ctx, 0))
	items, _, err := c.List(ctx, "Service", "shop", nil)
	must("ListServices(shop)", err)
	if len(items) != 1 {
		t.Fatalf("ListServices: %d", len(items))
	}
	cache := apiclient.NewServiceCache(ctx, c)
	if svcs, _, _, err := cache.List(ctx); err != nil || len(svcs) != 1 {
		t.Fatalf("ServiceCache.List: %d services, %v", len(svcs), err)
	}

	must("FinalizePod", cp.FinalizePod(ctx, web))
	if _, err := st.Get(objects.KeyOf(web)); err == nil {
		t.Fatal("FinalizePod left the pod")
	}
}
