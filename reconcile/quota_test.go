package reconcile

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/reconcile-dev/reconcile/reconcile/quota"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

func resources(kv ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return l
}

func hardQuota(name string, hard corev1.ResourceList) *corev1.ResourceQuota {
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
	objects.SetTypeMeta(q, "ResourceQuota")
	return q
}

func memDefaults() *corev1.LimitRange {
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mem-limit-range"},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
			Default: resources("memory", "512Mi"), DefaultRequest: resources("memory", "256Mi")}}}}
	objects.SetTypeMeta(lr, "LimitRange")
	return lr
}

func cpuPod(name, cpu string) *corev1.Pod {
	p := bare(name, "")
	p.Spec.Containers[0].Resources.Requests = resources("cpu", cpu)
	return p
}

func cpuDeployment(name string, replicas int32, cpu string) *appsv1.Deployment {
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
	d.Spec.Replicas = ptr.To(replicas)
	d.Spec.Template.Spec.Containers = []corev1.Container{{Name: "c", Image: "x", Resources: corev1.ResourceRequirements{Requests: resources("cpu", cpu)}}}
	objects.SetTypeMeta(d, "Deployment")
	return d
}

// TestPlanQuota: a commit that would take a namespace over a quota is
// refused at the object that crosses it, with the API server's words; a
// quota lowered below what exists refuses only what the commit adds.
func TestPlanQuota(t *testing.T) {
	compute := hardQuota("compute-resources", resources("requests.cpu", "2"))
	tests := []struct {
		name    string
		desired []Desired
		stored  []objects.Object
		want    string
	}{
		{"within the quota", []Desired{{Object: compute, Path: "q.yaml"}, {Object: cpuPod("a", "1"), Path: "a.yaml"}, {Object: cpuPod("b", "1"), Path: "b.yaml"}}, nil, ""},
		{"the third pod crosses it", []Desired{{Object: compute, Path: "q.yaml"}, {Object: cpuPod("a", "1"), Path: "a.yaml"}, {Object: cpuPod("b", "1"), Path: "b.yaml"},
			{Object: cpuPod("c", "500m"), Path: "c.yaml", Line: 2, Col: 1}}, nil,
			`c.yaml:2:1: Pod/default/c: pods "c" is forbidden: exceeded quota: compute-resources, requested: requests.cpu=500m, used: requests.cpu=2, limited: requests.cpu=2; raise the quota's spec.hard or lower what the commit adds`},
		{"a pod without requests under a cpu quota", []Desired{{Object: compute, Path: "q.yaml"}, {Object: bare("p", ""), Path: "p.yaml", Line: 1, Col: 1}}, nil,
			`p.yaml:1:1: Pod/default/p: pods "p" is forbidden: failed quota: compute-resources: must specify requests.cpu for: c; raise the quota's spec.hard or lower what the commit adds`},
		{"a Deployment's replicas × template", []Desired{{Object: compute, Path: "q.yaml"}, {Object: cpuDeployment("web", 3, "1"), Path: "web.yaml", Line: 5, Col: 1}}, nil,
			`web.yaml:5:1: Deployment/default/web: its 3 replicas × the pod template would not fit the namespace's quota (reconcile checks workloads at commit time): exceeded quota: compute-resources, requested: requests.cpu=3, used: requests.cpu=0, limited: requests.cpu=2; raise the quota's spec.hard, lower the replicas or the template's resources`},
		{"stored pods count; an unchanged one is never refused", []Desired{{Object: hardQuota("pods", resources("pods", "1")), Path: "q.yaml"}, {Object: bare("old", ""), Path: "old.yaml"}, {Object: bare("new", ""), Path: "new.yaml"}},
			[]objects.Object{storedAs(bare("old", ""), "apps", "old.yaml")},
			`new.yaml: Pod/default/new: pods "new" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1; raise the quota's spec.hard or lower what the commit adds`},
		{"object counts", []Desired{{Object: hardQuota("objects", resources("count/deployments.apps", "1")), Path: "q.yaml"},
			{Object: cpuDeployment("a", 1, "1"), Path: "a.yaml"}, {Object: cpuDeployment("b", 1, "1"), Path: "b.yaml"}}, nil,
			`b.yaml: Deployment/default/b: deployments.apps "b" is forbidden: exceeded quota: objects, requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1; raise the quota's spec.hard or remove objects`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := PlanChanges(tc.desired, tc.stored, PlanOptions{Source: "apps", Prune: true})
			var got []string
			for _, e := range p.Errors {
				got = append(got, e.Error())
			}
			if s := strings.Join(got, "\n"); s != tc.want {
				t.Errorf("got\n%s\nwant\n%s", s, tc.want)
			}
		})
	}
}

// TestPlanLimitRangeDefaults: a bare pod without resources is stored with
// its namespace's LimitRange defaults and the LimitRanger annotation, and
// re-applying its manifest changes nothing.
func TestPlanLimitRangeDefaults(t *testing.T) {
	desired := []Desired{{Object: memDefaults(), Path: "lr.yaml"}, {Object: bare("p", ""), Path: "p.yaml"}}
	first := PlanChanges(desired, nil, PlanOptions{Source: "apps"})
	if len(first.Errors) != 0 || len(first.Changes) != 2 {
		t.Fatalf("first plan: %+v", first)
	}
	var stored []objects.Object
	for _, c := range first.Changes {
		stored = append(stored, storedAs(c.Object, "apps", c.Path))
	}
	pod := first.Changes[1].Object.(*corev1.Pod)
	r := pod.Spec.Containers[0].Resources
	if r.Requests.Memory().String() != "256Mi" || r.Limits.Memory().String() != "512Mi" {
		t.Errorf("defaulted resources %v", r)
	}
	if got := pod.Annotations[quota.AnnotationLimitRanger]; got != "LimitRanger plugin set: memory request for container c; memory limit for container c" {
		t.Errorf("annotation %q", got)
	}
	again := PlanChanges(desired, stored, PlanOptions{Source: "apps"})
	if len(again.Changes) != 0 || len(again.Errors) != 0 {
		t.Fatalf("re-apply changed something: %+v %v", again.Changes, again.Errors)
	}
}

// TestPlannerRemembersUsageUntilLimitsChange: a Planner remembers what
// stored workloads use, and computes it again when their namespace's
// LimitRange changes (its default request decides a template's charge).
func TestPlannerRemembersUsageUntilLimitsChange(t *testing.T) {
	web := cpuDeployment("web", 2, "1")
	web.Spec.Template.Spec.Containers[0].Resources = corev1.ResourceRequirements{}
	storedWeb := storedAs(web, "apps", "web.yaml")
	storedWeb.SetResourceVersion("5")
	q := storedAs(hardQuota("compute", resources("requests.memory", "1Gi")), "apps", "q.yaml")
	lr := func(rv, mem string) objects.Object {
		l := memDefaults()
		l.Spec.Limits[0].DefaultRequest = resources("memory", mem)
		s := storedAs(l, "apps", "lr.yaml")
		s.SetResourceVersion(rv)
		return s
	}
	pod := bare("p", "")
	pod.Spec.Containers[0].Resources.Requests = resources("memory", "256Mi")
	pl := NewPlanner()
	desired := func(l objects.Object) []Desired {
		return []Desired{{Object: q, Path: "q.yaml"}, {Object: l, Path: "lr.yaml"}, {Object: web, Path: "web.yaml"}, {Object: pod, Path: "p.yaml"}}
	}
	small := lr("7", "256Mi") // web: 2 × 256Mi, the pod 256Mi: 768Mi of 1Gi
	if p := pl.Plan(desired(small), []objects.Object{q, small, storedWeb}, PlanOptions{Source: "apps"}); len(p.Errors) != 0 {
		t.Fatalf("within the quota: %v", p.Errors)
	}
	big := lr("8", "512Mi") // web: 2 × 512Mi fills the quota
	p := pl.Plan(desired(big), []objects.Object{q, big, storedWeb}, PlanOptions{Source: "apps"})
	if len(p.Errors) != 1 || !strings.Contains(p.Errors[0].Message, "exceeded quota: compute, requested: requests.memory=256Mi, used: requests.memory=1Gi") {
		t.Fatalf("after the LimitRange grew: %v", p.Errors)
	}
}

// TestPlanRemovesAUserLimit: only what LimitRanger set is kept from the
// stored pod; a limit removed from git is removed.
func TestPlanRemovesAUserLimit(t *testing.T) {
	withLimit := bare("p", "")
	withLimit.Spec.Containers[0].Resources.Limits = resources("memory", "1Gi")
	stored := storedAs(withLimit, "apps", "p.yaml")
	p := PlanChanges([]Desired{{Object: bare("p", ""), Path: "p.yaml"}}, []objects.Object{stored}, PlanOptions{Source: "apps"})
	if len(p.Changes) != 1 {
		t.Fatalf("removing the limit plans no change: %+v", p)
	}
	if l := p.Changes[0].Object.(*corev1.Pod).Spec.Containers[0].Resources.Limits; len(l) != 0 {
		t.Errorf("the removed limit stays: %v", l)
	}
}
