package objects

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Object is any stored object: a Kubernetes API type with ObjectMeta.
type Object interface {
	metav1.Object
	runtime.Object
}

// KindInfo describes one kind the product knows.
type KindInfo struct {
	Kind       string
	APIVersion string
	Namespaced bool
	// Manifest is true for kinds users may write in git; false for kinds
	// only the system creates (Node, Endpoints, Event).
	Manifest bool
	// Plural is the lowercase plural used on the CLI and in API paths.
	Plural string
	// Short names accepted by the CLI (e.g. "deploy", "po").
	Short []string
	newFn func() Object
}

var kinds = []KindInfo{
	{Kind: "Namespace", APIVersion: "v1", Namespaced: false, Manifest: true, Plural: "namespaces", Short: []string{"ns"}, newFn: func() Object { return &corev1.Namespace{} }},
	{Kind: "PriorityClass", APIVersion: "scheduling.k8s.io/v1", Namespaced: false, Manifest: true, Plural: "priorityclasses", Short: []string{"pc"}, newFn: func() Object { return &schedulingv1.PriorityClass{} }},
	{Kind: "ResourceQuota", APIVersion: "v1", Namespaced: true, Manifest: true, Plural: "resourcequotas", Short: []string{"quota"}, newFn: func() Object { return &corev1.ResourceQuota{} }},
	{Kind: "LimitRange", APIVersion: "v1", Namespaced: true, Manifest: true, Plural: "limitranges", Short: []string{"limits"}, newFn: func() Object { return &corev1.LimitRange{} }},
	{Kind: "ConfigMap", APIVersion: "v1", Namespaced: true, Manifest: true, Plural: "configmaps", Short: []string{"cm"}, newFn: func() Object { return &corev1.ConfigMap{} }},
	{Kind: "Secret", APIVersion: "v1", Namespaced: true, Manifest: true, Plural: "secrets", newFn: func() Object { return &corev1.Secret{} }},
	{Kind: "Service", APIVersion: "v1", Namespaced: true, Manifest: true, Plural: "services", Short: []string{"svc"}, newFn: func() Object { return &corev1.Service{} }},
	{Kind: "Pod", APIVersion: "v1", Namespaced: true, Manifest: true, Plural: "pods", Short: []string{"po"}, newFn: func() Object { return &corev1.Pod{} }},
	{Kind: "Deployment", APIVersion: "apps/v1", Namespaced: true, Manifest: true, Plural: "deployments", Short: []string{"deploy"}, newFn: func() Object { return &appsv1.Deployment{} }},
	{Kind: "ReplicaSet", APIVersion: "apps/v1", Namespaced: true, Manifest: true, Plural: "replicasets", Short: []string{"rs"}, newFn: func() Object { return &appsv1.ReplicaSet{} }},
	{Kind: "DaemonSet", APIVersion: "apps/v1", Namespaced: true, Manifest: true, Plural: "daemonsets", Short: []string{"ds"}, newFn: func() Object { return &appsv1.DaemonSet{} }},
	{Kind: "StatefulSet", APIVersion: "apps/v1", Namespaced: true, Manifest: true, Plural: "statefulsets", Short: []string{"sts"}, newFn: func() Object { return &appsv1.StatefulSet{} }},
	{Kind: "Job", APIVersion: "batch/v1", Namespaced: true, Manifest: true, Plural: "jobs", newFn: func() Object { return &batchv1.Job{} }},
	{Kind: "CronJob", APIVersion: "batch/v1", Namespaced: true, Manifest: true, Plural: "cronjobs", Short: []string{"cj"}, newFn: func() Object { return &batchv1.CronJob{} }},
	{Kind: "PodDisruptionBudget", APIVersion: "policy/v1", Namespaced: true, Manifest: true, Plural: "poddisruptionbudgets", Short: []string{"pdb"}, newFn: func() Object { return &policyv1.PodDisruptionBudget{} }},
	{Kind: "HorizontalPodAutoscaler", APIVersion: "autoscaling/v2", Namespaced: true, Manifest: true, Plural: "horizontalpodautoscalers", Short: []string{"hpa"}, newFn: func() Object { return &autoscalingv2.HorizontalPodAutoscaler{} }},
	{Kind: "Ingress", APIVersion: "networking.k8s.io/v1", Namespaced: true, Manifest: true, Plural: "ingresses", Short: []string{"ing"}, newFn: func() Object { return &networkingv1.Ingress{} }},
	{Kind: "IngressClass", APIVersion: "networking.k8s.io/v1", Namespaced: false, Manifest: true, Plural: "ingressclasses", newFn: func() Object { return &networkingv1.IngressClass{} }},
	{Kind: "Node", APIVersion: "v1", Namespaced: false, Manifest: false, Plural: "nodes", Short: []string{"no"}, newFn: func() Object { return &corev1.Node{} }},
	{Kind: "Endpoints", APIVersion: "v1", Namespaced: true, Manifest: false, Plural: "endpoints", Short: []string{"ep"}, newFn: func() Object { return &corev1.Endpoints{} }},
	{Kind: "Event", APIVersion: "v1", Namespaced: true, Manifest: false, Plural: "events", Short: []string{"ev"}, newFn: func() Object { return &corev1.Event{} }},
}

var byKind = func() map[string]*KindInfo {
	m := map[string]*KindInfo{}
	for i := range kinds {
		m[kinds[i].Kind] = &kinds[i]
	}
	return m
}()

// Kinds returns every known kind, in apply order (namespaces and config
// before workloads).
func Kinds() []KindInfo { return append([]KindInfo(nil), kinds...) }

// Info returns the description of kind, or false if the kind is unknown.
func Info(kind string) (KindInfo, bool) {
	k, ok := byKind[kind]
	if !ok {
		return KindInfo{}, false
	}
	return *k, true
}

// Resolve maps what a person types on the CLI ("pods", "po", "Pod",
// "deployment") to a kind.
func Resolve(name string) (KindInfo, bool) {
	k, ok := byName[strings.ToLower(name)]
	if !ok {
		return KindInfo{}, false
	}
	return *k, true
}

// byName is Resolve's table: every kind's lower-case name, plural and
// short names; the first kind in apply order that has a name keeps it.
// Every API request resolves its resource, which scanned the kinds with a
// lower-cased copy of each name (BENCHMARKS.md, issue 13: heartbeats,
// round 3).
var byName = func() map[string]*KindInfo {
	m := map[string]*KindInfo{}
	for i := range kinds {
		k := &kinds[i]
		for _, n := range append([]string{strings.ToLower(k.Kind), k.Plural}, k.Short...) {
			if _, taken := m[n]; !taken {
				m[n] = k
			}
		}
	}
	return m
}()

// New returns an empty object of kind with apiVersion and kind set.
func New(kind string) (Object, error) {
	k, ok := byKind[kind]
	if !ok {
		return nil, fmt.Errorf("unknown kind %q (known: %s)", kind, strings.Join(KindNames(true), ", "))
	}
	o := k.newFn()
	o.GetObjectKind().SetGroupVersionKind(gvk(k.APIVersion, k.Kind))
	return o, nil
}

// KindNames lists the kind names, manifest kinds only when manifestOnly.
func KindNames(manifestOnly bool) []string {
	var out []string
	for _, k := range kinds {
		if !manifestOnly || k.Manifest {
			out = append(out, k.Kind)
		}
	}
	sort.Strings(out)
	return out
}

// KindOf returns the kind recorded in the object's TypeMeta.
func KindOf(o Object) string { return o.GetObjectKind().GroupVersionKind().Kind }

// Decode decodes a JSON object whose "kind" selects its Go type.
func Decode(data []byte) (Object, error) {
	var tm metav1.TypeMeta
	if err := json.Unmarshal(data, &tm); err != nil {
		return nil, err
	}
	o, err := New(tm.Kind)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, o); err != nil {
		return nil, fmt.Errorf("decode %s: %w", tm.Kind, err)
	}
	SetTypeMeta(o, tm.Kind)
	return o, nil
}

// SetTypeMeta fills apiVersion and kind from the registry.
func SetTypeMeta(o Object, kind string) {
	if k, ok := byKind[kind]; ok {
		o.GetObjectKind().SetGroupVersionKind(gvk(k.APIVersion, k.Kind))
	}
}

// Copy returns a deep copy of o.
func Copy(o Object) Object {
	c := o.DeepCopyObject().(Object)
	return c
}
