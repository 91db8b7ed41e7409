package controllers

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/store"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/scheduler/priority"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestManagerQuotaAndLimitRange runs the runner on a real store: a
// Deployment of three replicas in a namespace whose quota allows two pods
// gets two pods (defaulted by the LimitRange), its ReplicaSet the
// FailedCreate event with the API server's words, and the quota's status
// counts what is used.
func TestManagerQuotaAndLimitRange(t *testing.T) {
	st := startManager(t, Options{Resync: 50 * time.Millisecond})
	write(t, st, func(tx *store.Tx) error {
		q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "pod-demo"},
			Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("2"), "requests.memory": resource.MustParse("1Gi")}}}
		objects.SetTypeMeta(q, "ResourceQuota")
		lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mem-limit-range"},
			Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer,
				Default: corev1.ResourceList{"memory": resource.MustParse("512Mi")}, DefaultRequest: corev1.ResourceList{"memory": resource.MustParse("256Mi")}}}}}
		objects.SetTypeMeta(lr, "LimitRange")
		for _, o := range []objects.Object{q, lr, deployment("web", 3, "img")} {
			if err := tx.Create(o); err != nil {
				return err
			}
		}
		return nil
	})
	waitFor(t, st, "2 pods with the LimitRange's memory", func(pods []*corev1.Pod, _ []*appsv1.ReplicaSet) string {
		var state []string
		ok := 0
		for _, p := range pods {
			r := p.Spec.Containers[0].Resources
			if r.Requests.Memory().String() == "256Mi" && r.Limits.Memory().String() == "512Mi" {
				ok++
			}
			state = append(state, fmt.Sprintf("%s %v", p.Name, r))
		}
		return cond(ok == 2 && len(pods) == 2, strings.Join(state, "; "))
	})
	testkit.Eventually(t, 10*time.Second, "FailedCreate on the ReplicaSet and the quota's status", func() error {
		objs, _, err := st.List("Event", "default")
		if err != nil {
			return err
		}
		found := false
		for _, o := range objs {
			e := o.(*corev1.Event)
			if e.Reason == ReasonFailedCreate && e.InvolvedObject.Kind == "ReplicaSet" &&
				strings.Contains(e.Message, "is forbidden: exceeded quota: pod-demo, requested: pods=1, used: pods=2, limited: pods=2") {
				found = true
			}
		}
		if !found {
			return fmt.Errorf("no FailedCreate event with the quota's words")
		}
		rss, _, err := st.List("ReplicaSet", "default")
		if err != nil || len(rss) != 1 {
			return fmt.Errorf("replicasets: %v %d", err, len(rss))
		}
		rs := rss[0].(*appsv1.ReplicaSet)
		var failure *appsv1.ReplicaSetCondition
		for i := range rs.Status.Conditions {
			if rs.Status.Conditions[i].Type == appsv1.ReplicaSetReplicaFailure {
				failure = &rs.Status.Conditions[i]
			}
		}
		if failure == nil || failure.Reason != ReasonFailedCreate || !strings.Contains(failure.Message, "exceeded quota: pod-demo") || rs.Status.Replicas != 2 {
			return fmt.Errorf("ReplicaSet status %+v", rs.Status)
		}
		o, err := st.Get(objects.Key{Kind: "ResourceQuota", Namespace: "default", Name: "pod-demo"})
		if err != nil {
			return err
		}
		used := o.(*corev1.ResourceQuota).Status.Used
		if p, m := used["pods"], used["requests.memory"]; p.String() != "2" || m.String() != "512Mi" {
			return fmt.Errorf("status.used %v", used)
		}
		return nil
	})
}

// TestCacheKeepsNoConfigData: quotas count ConfigMaps and Secrets, so the
// runner watches them, but its cache keeps their metadata only.
func TestCacheKeepsNoConfigData(t *testing.T) {
	c := newCache()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cfg", ResourceVersion: "3"}, Data: map[string]string{"big": "value"}}
	objects.SetTypeMeta(cm, "ConfigMap")
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s", ResourceVersion: "4"}, Data: map[string][]byte{"k": []byte("secret")}}
	objects.SetTypeMeta(sec, "Secret")
	c.put(cm)
	c.put(sec)
	if got := c.get(objects.KeyOf(cm)).(*corev1.ConfigMap); got.Data != nil || got.ResourceVersion != "3" {
		t.Errorf("cached ConfigMap %+v", got)
	}
	if got := c.get(objects.KeyOf(sec)).(*corev1.Secret); got.Data != nil || got.Name != "s" {
		t.Errorf("cached Secret %+v", got)
	}
}

// TestReplicaFailureIsWrittenOnce: a ReplicaSet whose pod the quota
// refuses gets ReplicaFailure once; the next refused attempt (another pod
// name) leaves the stored status alone.
func TestReplicaFailureIsWrittenOnce(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "none"},
		Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{"pods": resource.MustParse("0")}}}
	rs := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"}}
	objects.SetTypeMeta(rs, "ReplicaSet")
	attempt := func(stored *appsv1.ReplicaSet, name string) Changes {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}}
		objects.SetTypeMeta(pod, "Pod")
		step := stored.DeepCopy()
		step.Status.Conditions = nil // the step removes it
		step.Status.Replicas = 1     // and counted the pod it meant to create
		var updates []objects.Object
		if !equality.Semantic.DeepEqual(step.Status, stored.Status) {
			updates = []objects.Object{step}
		}
		adm := NewAdmission(priority.NewClasses(nil), nil, []*corev1.ResourceQuota{q}, nil, now)
		return AdmitCreatedPods(adm, stored, Changes{Create: []objects.Object{pod}, UpdateStatus: updates}, ComponentReplicaSet, now)
	}
	first := attempt(rs, "web-a")
	if len(first.Create) != 0 || len(first.UpdateStatus) != 1 {
		t.Fatalf("first attempt: %d creates, %d status updates", len(first.Create), len(first.UpdateStatus))
	}
	written := first.UpdateStatus[0].(*appsv1.ReplicaSet)
	if c := written.Status.Conditions; len(c) != 1 || c[0].Reason != ReasonFailedCreate || written.Status.Replicas != 0 ||
		c[0].Message != `pods "web-a" is forbidden: exceeded quota: none, requested: pods=1, used: pods=0, limited: pods=0` {
		t.Fatalf("first status %+v", written.Status)
	}
	if again := attempt(written, "web-b"); len(again.UpdateStatus) != 0 {
		t.Fatalf("the second refusal rewrote the status: %+v", again.UpdateStatus[0].(*appsv1.ReplicaSet).Status)
	}
}
