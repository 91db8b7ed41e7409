package controllers

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func epService(name string, ports ...corev1.ServicePort) *corev1.Service {
	s := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", Labels: map[string]string{"team": "a"}},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: ports, ClusterIP: "10.96.0.10"}}
	objects.SetTypeMeta(s, "Service")
	return s
}

func epPod(name, ip string, ready bool, mods ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default", UID: k8stypes.UID("uid-" + name), Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c", Image: "img",
			Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}, {Name: "dns", ContainerPort: 5353, Protocol: corev1.ProtocolUDP}}}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip}}
	st := corev1.ConditionFalse
	if ready {
		st = corev1.ConditionTrue
	}
	p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: st}}
	objects.SetTypeMeta(p, "Pod")
	for _, m := range mods {
		m(p)
	}
	return p
}

// TestDesiredEndpointsGolden covers readiness, termination, finished
// pods, pods without IP, other labels and namespaces, targetPort by name
// (with a pod lacking that name) and by number, and several ports.
func TestDesiredEndpointsGolden(t *testing.T) {
	now := metav1.NewTime(time.Unix(1700000000, 0))
	svc := epService("web",
		corev1.ServicePort{Name: "http", Port: 80, TargetPort: intstr.FromString("http"), Protocol: corev1.ProtocolTCP},
		corev1.ServicePort{Name: "dns", Port: 53, TargetPort: intstr.FromString("dns"), Protocol: corev1.ProtocolUDP},
		corev1.ServicePort{Name: "metrics", Port: 9000, TargetPort: intstr.FromInt32(9100), Protocol: corev1.ProtocolTCP})
	pods := []*corev1.Pod{
		epPod("ready-b", "10.88.0.3", true),
		epPod("ready-a", "10.88.0.2", true),
		epPod("unready", "10.88.0.4", false),
		epPod("terminating", "10.88.0.5", true, func(p *corev1.Pod) { p.DeletionTimestamp = &now }),
		epPod("succeeded", "10.88.0.6", true, func(p *corev1.Pod) { p.Status.Phase = corev1.PodSucceeded }),
		epPod("no-ip", "", true),
		epPod("other-app", "10.88.0.7", true, func(p *corev1.Pod) { p.Labels["app"] = "db" }),
		epPod("other-ns", "10.88.0.8", true, func(p *corev1.Pod) { p.Namespace = "prod" }),
		epPod("no-named-ports", "10.88.0.9", true, func(p *corev1.Pod) { p.Spec.Containers[0].Ports = nil }),
		epPod("hostname", "10.88.0.10", true, func(p *corev1.Pod) { p.Spec.Hostname, p.Spec.Subdomain = "web-0", "web" }),
	}
	testkit.GoldenJSON(t, "testdata/endpoints.golden", DesiredEndpoints(svc, pods))
	// Without a selector the Endpoints are not managed.
	svc.Spec.Selector = nil
	if ep := DesiredEndpoints(svc, pods); ep != nil {
		t.Fatalf("selector-less service got endpoints %v", ep)
	}
}

func TestReconcileEndpoints(t *testing.T) {
	svc := epService("web", corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(8080)})
	pods := []*corev1.Pod{epPod("a", "10.88.0.2", true)}
	ch := ReconcileEndpoints(svc, nil, pods)
	if len(ch.Create) != 1 {
		t.Fatalf("want a create, got %+v", ch)
	}
	stored := ch.Create[0].(*corev1.Endpoints)
	if ch := ReconcileEndpoints(svc, stored, pods); !ch.Empty() {
		t.Fatalf("unchanged input gave %+v", ch)
	}
	pods = append(pods, epPod("b", "10.88.0.3", true))
	if ch := ReconcileEndpoints(svc, stored, pods); len(ch.Update) != 1 || len(ch.Update[0].(*corev1.Endpoints).Subsets[0].Addresses) != 2 {
		t.Fatalf("a new ready pod gave %+v", ch)
	}
	if ch := ReconcileEndpoints(nil, stored, pods); len(ch.Delete) != 1 {
		t.Fatalf("a deleted service gave %+v", ch)
	}
}

// TestEndpointsStep runs the registry's Endpoints step in the Manager on
// a real Badger store: endpoints follow pods becoming ready, terminating
// and the service going away.
func TestEndpointsStep(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- NewManager(st, Options{Log: discard}).Run(ctx) }()

	write := func(f func(tx *store.Tx) error) {
		t.Helper()
		if err := st.Update(f); err != nil {
			t.Fatal(err)
		}
	}
	ready := func() []string {
		o, err := st.Get(objects.Key{Kind: "Endpoints", Namespace: "default", Name: "web"})
		if err != nil {
			return nil
		}
		var ips []string
		for _, ss := range o.(*corev1.Endpoints).Subsets {
			for _, a := range ss.Addresses {
				ips = append(ips, a.IP)
			}
		}
		return ips
	}
	wait := func(what string, ok func([]string) bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !ok(ready()) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: endpoints are %v", what, ready())
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	svc := epService("web", corev1.ServicePort{Port: 80, TargetPort: intstr.FromInt32(8080)})
	write(func(tx *store.Tx) error {
		for _, p := range []*corev1.Pod{epPod("a", "10.88.0.2", true), epPod("b", "10.88.0.3", false)} {
			if err := tx.Create(p); err != nil {
				return err
			}
		}
		return tx.Create(svc)
	})
	wait("service created", func(ips []string) bool { return len(ips) == 1 && ips[0] == "10.88.0.2" })

	write(func(tx *store.Tx) error {
		o, _ := tx.Get(objects.Key{Kind: "Pod", Namespace: "default", Name: "b"})
		p := o.(*corev1.Pod)
		p.Status.Conditions[0].Status = corev1.ConditionTrue
		return tx.UpdateStatus(p)
	})
	wait("pod b ready", func(ips []string) bool { return len(ips) == 2 })

	write(func(tx *store.Tx) error {
		return tx.DeleteGracefully(objects.Key{Kind: "Pod", Namespace: "default", Name: "a"}, time.Now())
	})
	wait("pod a terminating", func(ips []string) bool { return len(ips) == 1 && ips[0] == "10.88.0.3" })

	write(func(tx *store.Tx) error { return tx.Delete(objects.KeyOf(svc)) })
	wait("service deleted", func([]string) bool {
		_, err := st.Get(objects.Key{Kind: "Endpoints", Namespace: "default", Name: "web"})
		return err != nil
	})
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
