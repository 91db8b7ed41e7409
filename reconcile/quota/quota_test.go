package quota

import (
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func list(kv ...string) corev1.ResourceList {
	l := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return l
}

func pod(name string, cs ...corev1.Container) *corev1.Pod {
	p := &corev1.Pod{TypeMeta: metav1.TypeMeta{Kind: "Pod", APIVersion: "v1"}, ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
	p.Spec.Containers = cs
	return p
}

func ctr(name string, req, lim corev1.ResourceList) corev1.Container {
	return corev1.Container{Name: name, Resources: corev1.ResourceRequirements{Requests: req, Limits: lim}}
}

func rq(name string, hard corev1.ResourceList, scopes ...corev1.ResourceQuotaScope) *corev1.ResourceQuota {
	return &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"},
		Spec: corev1.ResourceQuotaSpec{Hard: hard, Scopes: scopes}}
}

var now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// TestTallyAdmit follows the cases of Kubernetes' resource quota
// admission tests: the words of the refusal, charging, scopes.
func TestTallyAdmit(t *testing.T) {
	cases := []struct {
		name     string
		quotas   []*corev1.ResourceQuota
		existing []*corev1.Pod
		pods     []*corev1.Pod
		want     []string // per pod: "" admitted, else the error
	}{
		{
			name:   "within then exceeded",
			quotas: []*corev1.ResourceQuota{rq("compute-resources", list("requests.cpu", "2", "pods", "10"))},
			pods: []*corev1.Pod{
				pod("a", ctr("c", list("cpu", "1"), nil)),
				pod("b", ctr("c", list("cpu", "1"), nil)),
				pod("c", ctr("c", list("cpu", "2"), nil)),
			},
			want: []string{"", "", "exceeded quota: compute-resources, requested: requests.cpu=2, used: requests.cpu=2, limited: requests.cpu=2"},
		},
		{
			name:     "existing pods count",
			quotas:   []*corev1.ResourceQuota{rq("pods", list("pods", "1"))},
			existing: []*corev1.Pod{pod("old", ctr("c", nil, nil))},
			pods:     []*corev1.Pod{pod("new", ctr("c", nil, nil))},
			want:     []string{"exceeded quota: pods, requested: pods=1, used: pods=1, limited: pods=1"},
		},
		{
			name:   "cpu quota needs requests",
			quotas: []*corev1.ResourceQuota{rq("mem-cpu-demo", list("requests.cpu", "1", "limits.memory", "2Gi"))},
			pods:   []*corev1.Pod{pod("p", ctr("b", nil, nil), ctr("a", list("cpu", "100m"), nil))},
			want:   []string{"failed quota: mem-cpu-demo: must specify limits.memory for: a,b; requests.cpu for: b"},
		},
		{
			name:   "BestEffort scope counts only best-effort pods",
			quotas: []*corev1.ResourceQuota{rq("be", list("pods", "1"), corev1.ResourceQuotaScopeBestEffort)},
			pods: []*corev1.Pod{
				pod("guaranteed", ctr("c", list("cpu", "1"), list("cpu", "1"))),
				pod("be1", ctr("c", nil, nil)),
				pod("be2", ctr("c", nil, nil)),
			},
			want: []string{"", "", "exceeded quota: be, requested: pods=1, used: pods=1, limited: pods=1"},
		},
		{
			name:   "quota without the resource admits",
			quotas: []*corev1.ResourceQuota{rq("mem", list("requests.memory", "1Gi"))},
			pods:   []*corev1.Pod{pod("p", ctr("c", list("cpu", "8", "memory", "1Gi"), nil))},
			want:   []string{""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tl := NewTally(tc.quotas)
			for _, p := range tc.existing {
				tl.Charge(p, PodUsage(p, now))
			}
			for i, p := range tc.pods {
				err := tl.Admit(p, PodUsage(p, now))
				got := ""
				if err != nil {
					got = err.Error()
				}
				if got != tc.want[i] {
					t.Errorf("pod %s: got %q, want %q", p.Name, got, tc.want[i])
				}
			}
		})
	}
}

func TestPriorityClassScope(t *testing.T) {
	q := rq("pods-high", list("pods", "10"))
	q.Spec.ScopeSelector = &corev1.ScopeSelector{MatchExpressions: []corev1.ScopedResourceSelectorRequirement{
		{ScopeName: corev1.ResourceQuotaScopePriorityClass, Operator: corev1.ScopeSelectorOpIn, Values: []string{"high"}}}}
	high, low := pod("h"), pod("l")
	high.Spec.PriorityClassName, low.Spec.PriorityClassName = "high", "low"
	if !Matches(q, high) || Matches(q, low) {
		t.Fatalf("PriorityClass In [high]: high %v, low %v", Matches(q, high), Matches(q, low))
	}
	if Matches(q, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns"}}) {
		t.Fatal("a scoped quota counts only pods")
	}
}

func TestUsedAndCounts(t *testing.T) {
	q := rq("objects", list("services", "5", "services.nodeports", "5", "count/pods", "9", "pods", "9", "requests.memory", "9Gi", "configmaps", "3"))
	done := pod("done", ctr("c", list("memory", "1Gi"), nil))
	done.Status.Phase = corev1.PodSucceeded
	svc := &corev1.Service{TypeMeta: metav1.TypeMeta{Kind: "Service"}, ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "ns"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Ports: []corev1.ServicePort{{Port: 80}, {Port: 443}}}}
	cm := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}}
	other := &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap"}, ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "other"}}
	used := Used(q, toObjects(done, pod("run", ctr("c", list("memory", "1Gi"), nil)), svc, cm, other), now)
	want := list("services", "1", "services.nodeports", "2", "count/pods", "2", "pods", "1", "requests.memory", "1Gi", "configmaps", "1")
	for k, v := range want {
		if g := used[k]; g.Cmp(v) != 0 {
			t.Errorf("%s: used %s, want %s", k, g.String(), v.String())
		}
	}
}

func TestTerminatingPodCountsUntilGraceEnds(t *testing.T) {
	p := pod("p", ctr("c", nil, nil))
	p.DeletionTimestamp = &metav1.Time{Time: now.Add(-10 * time.Second)}
	p.DeletionGracePeriodSeconds = ptr.To[int64](30)
	if _, ok := PodUsage(p, now)[Pods]; !ok {
		t.Fatal("a pod within its grace period still counts")
	}
	if _, ok := PodUsage(p, now.Add(time.Minute))[Pods]; ok {
		t.Fatal("a pod past its grace period no longer counts")
	}
}

// TestLimitPod follows Kubernetes' LimitRanger tests and the
// documentation's examples (memory-defaults, cpu-constraints).
func TestLimitPod(t *testing.T) {
	container := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer, Max: list("cpu", "800m", "memory", "1Gi"), Min: list("cpu", "100m", "memory", "99Mi"),
		Default: list("cpu", "700m", "memory", "900Mi"), DefaultRequest: list("cpu", "110m", "memory", "111Mi")}}}}
	memDefaults := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
		Type: corev1.LimitTypeContainer, Default: list("memory", "512Mi"), DefaultRequest: list("memory", "256Mi")}}}}
	podMax := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypePod, Max: list("cpu", "1")}}}}
	ratio := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, MaxLimitRequestRatio: list("memory", "2")}}}}
	onlyMax := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Max: list("cpu", "800m"), Min: list("cpu", "200m")}}}}
	cases := []struct {
		name    string
		ranges  []*corev1.LimitRange
		pod     *corev1.Pod
		wantErr string
		wantReq corev1.ResourceList
		wantLim corev1.ResourceList
	}{
		{name: "defaults fill an empty container", ranges: []*corev1.LimitRange{memDefaults}, pod: pod("p", ctr("c", nil, nil)),
			wantReq: list("memory", "256Mi"), wantLim: list("memory", "512Mi")},
		{name: "a limit alone: the request is the limit", ranges: []*corev1.LimitRange{memDefaults}, pod: pod("p", ctr("c", nil, list("memory", "1Gi"))),
			wantReq: list("memory", "1Gi"), wantLim: list("memory", "1Gi")},
		{name: "max defaults the limit and min the request", ranges: []*corev1.LimitRange{onlyMax}, pod: pod("p", ctr("c", nil, nil)),
			wantReq: list("cpu", "800m"), wantLim: list("cpu", "800m")},
		{name: "over max", ranges: []*corev1.LimitRange{container}, pod: pod("p", ctr("c", list("cpu", "500m"), list("cpu", "1500m"))),
			wantErr: "maximum cpu usage per Container is 800m, but limit is 1500m"},
		{name: "under min and over max", ranges: []*corev1.LimitRange{container}, pod: pod("p", ctr("c", list("cpu", "50m", "memory", "2Gi"), list("memory", "2Gi"))),
			wantErr: "[minimum cpu usage per Container is 100m, but request is 50m, maximum memory usage per Container is 1Gi, but limit is 2Gi]"},
		{name: "pod sum over max", ranges: []*corev1.LimitRange{podMax}, pod: pod("p", ctr("a", nil, list("cpu", "600m")), ctr("b", nil, list("cpu", "600m"))),
			wantErr: "maximum cpu usage per Pod is 1, but limit is 1200m"},
		{name: "ratio", ranges: []*corev1.LimitRange{ratio}, pod: pod("p", ctr("c", list("memory", "100Mi"), list("memory", "300Mi"))),
			wantErr: "memory max limit to request ratio per Container is 2, but provided ratio is 3.000000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := LimitPod(tc.pod, tc.ranges)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("error %q, want %q", got, tc.wantErr)
			}
			r := tc.pod.Spec.Containers[0].Resources
			for k, v := range tc.wantReq {
				if g := r.Requests[k]; g.Cmp(v) != 0 {
					t.Errorf("request %s = %s, want %s", k, g.String(), v.String())
				}
			}
			for k, v := range tc.wantLim {
				if g := r.Limits[k]; g.Cmp(v) != 0 {
					t.Errorf("limit %s = %s, want %s", k, g.String(), v.String())
				}
			}
			if tc.wantReq != nil && tc.name != "a limit alone: the request is the limit" && !strings.HasPrefix(tc.pod.Annotations[AnnotationLimitRanger], "LimitRanger plugin set: ") {
				t.Errorf("annotation %q", tc.pod.Annotations[AnnotationLimitRanger])
			}
		})
	}
}

func TestScale(t *testing.T) {
	got := Scale(list("requests.cpu", "500m", "limits.memory", "128Mi"), 3)
	if c := got["requests.cpu"]; c.String() != "1500m" {
		t.Errorf("cpu %s", c.String())
	}
	if m := got["limits.memory"]; m.Cmp(resource.MustParse("384Mi")) != 0 {
		t.Errorf("memory %s", m.String())
	}
}

func TestDefaultedByReadsTheAnnotation(t *testing.T) {
	p := pod("p", ctr("app", nil, nil), ctr("side", list("cpu", "1"), nil))
	lr := &corev1.LimitRange{Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
		Default: list("cpu", "1", "memory", "1Gi"), DefaultRequest: list("cpu", "500m", "memory", "512Mi")}}}}
	if err := LimitPod(p, []*corev1.LimitRange{lr}); err != nil {
		t.Fatal(err)
	}
	got := DefaultedBy(p)
	want := map[string][]Defaulted{
		"app":  {{"cpu", false}, {"memory", false}, {"cpu", true}, {"memory", true}},
		"side": {{"memory", false}, {"cpu", true}, {"memory", true}},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("DefaultedBy(%q) = %v, want %v", p.Annotations[AnnotationLimitRanger], got, want)
	}
}
