package tables

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestQuotaRow: kubectl's get columns for a ResourceQuota, REQUEST and
// LIMIT as used/hard.
func TestQuotaRow(t *testing.T) {
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "mem-cpu-demo"}}
	hard := corev1.ResourceList{"requests.cpu": resource.MustParse("1"), "limits.memory": resource.MustParse("2Gi"), "pods": resource.MustParse("10")}
	q.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: corev1.ResourceList{"requests.cpu": resource.MustParse("500m"), "limits.memory": resource.MustParse("1Gi"), "pods": resource.MustParse("1")}}
	h, c := quotaRow(q, "5m")
	if got := strings.Join(h, "|") + "\n" + strings.Join(c, "|"); got != "NAME|AGE|REQUEST|LIMIT\nmem-cpu-demo|5m|pods: 1/10, requests.cpu: 500m/1|limits.memory: 1Gi/2Gi" {
		t.Errorf("quota row:\n%s", got)
	}
}
