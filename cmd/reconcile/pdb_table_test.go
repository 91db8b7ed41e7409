package main

import (
	"bytes"
	"strings"
	"testing"

	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// TestPDBTable: kubectl's columns, N/A for the bound not set.
func TestPDBTable(t *testing.T) {
	min, max := intstr.FromInt32(2), intstr.FromString("25%")
	a := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "zk-pdb"}, Spec: policyv1.PodDisruptionBudgetSpec{MinAvailable: &min},
		Status: policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: 1}}
	b := &policyv1.PodDisruptionBudget{ObjectMeta: metav1.ObjectMeta{Name: "web"}, Spec: policyv1.PodDisruptionBudgetSpec{MaxUnavailable: &max}}
	objects.SetTypeMeta(a, "PodDisruptionBudget")
	objects.SetTypeMeta(b, "PodDisruptionBudget")
	var out bytes.Buffer
	if err := printTable(&out, []objects.Object{a, b}, false, false); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out.String(), "\n")
	for i, want := range [][]string{{"NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"}, {"zk-pdb", "2", "N/A", "1"}, {"web", "N/A", "25%", "0"}} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d %q lacks %q", i, lines[i], w)
			}
		}
	}
}
