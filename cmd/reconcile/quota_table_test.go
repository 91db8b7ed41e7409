package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestQuotaTablesAndDescribe: kubectl's describe tables for ResourceQuota
// and LimitRange (the get columns: reconcile/tables TestQuotaRow).
func TestQuotaTablesAndDescribe(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mem-cpu-demo", CreationTimestamp: metav1.NewTime(now)}}
	objects.SetTypeMeta(q, "ResourceQuota")
	hard := corev1.ResourceList{"requests.cpu": resource.MustParse("1"), "limits.memory": resource.MustParse("2Gi"), "pods": resource.MustParse("10")}
	q.Spec.Hard = hard
	q.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: corev1.ResourceList{"requests.cpu": resource.MustParse("500m"), "limits.memory": resource.MustParse("1Gi"), "pods": resource.MustParse("1")}}
	var buf bytes.Buffer
	if err := describe(&buf, q, nil, now); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Resource Used Hard", "limits.memory 1Gi 2Gi", "pods 1 10", "requests.cpu 500m 1"} {
		if !strings.Contains(strings.Join(strings.Fields(buf.String()), " "), want) {
			t.Errorf("describe quota lacks %q:\n%s", want, buf.String())
		}
	}
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "cpu-min-max-demo-lr"}}
	objects.SetTypeMeta(lr, "LimitRange")
	lr.Spec.Limits = []corev1.LimitRangeItem{{Type: corev1.LimitTypeContainer, Max: corev1.ResourceList{"cpu": resource.MustParse("800m")}, Min: corev1.ResourceList{"cpu": resource.MustParse("200m")}}}
	buf.Reset()
	if err := describe(&buf, lr, nil, now); err != nil {
		t.Fatal(err)
	}
	// Kubernetes' defaults: the max is the default limit, the default
	// limit the default request.
	if want := "Container cpu 200m 800m 800m 800m -"; !strings.Contains(strings.Join(strings.Fields(buf.String()), " "), want) {
		t.Errorf("describe limits lacks %q:\n%s", want, buf.String())
	}
}
