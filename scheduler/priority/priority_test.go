package priority

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func pc(name string, value int32, def bool, policy corev1.PreemptionPolicy) *schedulingv1.PriorityClass {
	return &schedulingv1.PriorityClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Value: value, GlobalDefault: def, PreemptionPolicy: &policy}
}

// TestResolve follows Kubernetes' priority admission tests
// (plugin/pkg/admission/priority/admission_test.go): class, default,
// built-ins, and values a pod may not bring itself.
func TestResolve(t *testing.T) {
	classes := []*schedulingv1.PriorityClass{
		pc("high", 1000, false, corev1.PreemptLowerPriority),
		pc("never", 500, false, corev1.PreemptNever),
		pc("default-b", 20, true, corev1.PreemptLowerPriority),
		pc("default-a", 10, true, corev1.PreemptNever), // two defaults: the lowest value wins
	}
	tests := []struct {
		name string
		spec corev1.PodSpec
		want string
	}{
		{"class", corev1.PodSpec{PriorityClassName: "high"}, "1000 PreemptLowerPriority"},
		{"class with Never", corev1.PodSpec{PriorityClassName: "never"}, "500 Never"},
		{"no class: the lowest global default", corev1.PodSpec{}, "10 Never"},
		{"system-node-critical", corev1.PodSpec{PriorityClassName: SystemNodeCritical}, "2000001000 PreemptLowerPriority"},
		{"system-cluster-critical", corev1.PodSpec{PriorityClassName: SystemClusterCritical}, "2000000000 PreemptLowerPriority"},
		{"unknown class", corev1.PodSpec{PriorityClassName: "gold"}, "no PriorityClass with name gold was found"},
		{"same priority given", corev1.PodSpec{PriorityClassName: "high", Priority: ptr.To[int32](1000)}, "1000 PreemptLowerPriority"},
		{"other priority given", corev1.PodSpec{PriorityClassName: "high", Priority: ptr.To[int32](5)},
			"the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 1000 from the given PriorityClass name"},
		{"other policy given", corev1.PodSpec{PriorityClassName: "never", PreemptionPolicy: ptr.To(corev1.PreemptLowerPriority)},
			"the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name"},
	}
	c := NewClasses(classes)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, p, err := c.Resolve(&tc.spec)
			got := fmt.Sprint(v, " ", p)
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
	if got := NewClasses(nil); got.def != nil {
		t.Errorf("no classes: default %v, want none", got.def)
	}
}

func TestAdmitWordsTheRefusalAsTheAPIServer(t *testing.T) {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1"}, Spec: corev1.PodSpec{PriorityClassName: "foo"}}
	err := NewClasses(nil).Admit(p)
	if want := `pods "web-1" is forbidden: no PriorityClass with name foo was found`; err == nil || err.Error() != want {
		t.Fatalf("Admit = %v, want %s", err, want)
	}
	p.Spec.PriorityClassName = ""
	if err := NewClasses(nil).Admit(p); err != nil || *p.Spec.Priority != 0 || *p.Spec.PreemptionPolicy != corev1.PreemptLowerPriority {
		t.Fatalf("Admit without class: %v %v %v", err, p.Spec.Priority, p.Spec.PreemptionPolicy)
	}
}
