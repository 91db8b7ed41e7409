package controllers

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/health"
)

// Health dispatches on the registry: nil is Missing, a kind no entry
// assesses is None, an assessed kind gets its own assessor.
func TestHealthThroughRegistry(t *testing.T) {
	if st, msg := Health(nil); st != health.Missing || msg != "not in the store" {
		t.Errorf("nil: %s %q, want Missing", st, msg)
	}
	if st, _ := Health(&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{Kind: "ConfigMap"}}); st != health.None {
		t.Errorf("ConfigMap: %s, want None", st)
	}
	rs := &appsv1.ReplicaSet{TypeMeta: metav1.TypeMeta{Kind: "ReplicaSet"}, Status: appsv1.ReplicaSetStatus{AvailableReplicas: 1}}
	if st, msg := Health(rs); st != health.Healthy || msg != "1 of 1 replicas available" {
		t.Errorf("ReplicaSet: %s %q, want Healthy, 1 of 1", st, msg)
	}
}
