package priority

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Kubernetes' built-in classes and bounds (k8s.io/api/scheduling).
const (
	SystemClusterCritical = "system-cluster-critical"
	SystemNodeCritical    = "system-node-critical"
	// SystemCriticalPriority is system-cluster-critical's value; node
	// critical is 1000 more.
	SystemCriticalPriority int32 = 2000000000
	// HighestUserDefinablePriority bounds the value of classes in git.
	HighestUserDefinablePriority int32 = 1000000000
	// ReservedPrefix starts the names only built-in classes may have.
	ReservedPrefix = "system-"
)

// SystemClasses are the classes every cluster has, as Kubernetes' API
// server creates them at start.
func SystemClasses() []*schedulingv1.PriorityClass {
	mk := func(name string, value int32, desc string) *schedulingv1.PriorityClass {
		policy := corev1.PreemptLowerPriority
		return &schedulingv1.PriorityClass{
			TypeMeta:         metav1.TypeMeta{APIVersion: "scheduling.k8s.io/v1", Kind: "PriorityClass"},
			ObjectMeta:       metav1.ObjectMeta{Name: name},
			Value:            value,
			Description:      desc,
			PreemptionPolicy: &policy,
		}
	}
	return []*schedulingv1.PriorityClass{
		mk(SystemClusterCritical, SystemCriticalPriority, "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."),
		mk(SystemNodeCritical, SystemCriticalPriority+1000, "Used for system critical pods that must not be moved from their current node."),
	}
}

// Classes is the set a pod's class is resolved against: by name, plus the
// globalDefault one.
type Classes struct {
	byName map[string]*schedulingv1.PriorityClass
	def    *schedulingv1.PriorityClass
}

// NewClasses indexes classes; the built-in ones are added when missing.
// Were several globalDefault (validation refuses that), the one with the
// lowest value wins, as in Kubernetes' admission.
func NewClasses(classes []*schedulingv1.PriorityClass) Classes {
	c := Classes{byName: make(map[string]*schedulingv1.PriorityClass, len(classes)+2)}
	for _, pc := range SystemClasses() {
		c.byName[pc.Name] = pc
	}
	for _, pc := range classes {
		c.byName[pc.Name] = pc
		if pc.GlobalDefault && (c.def == nil || pc.Value < c.def.Value) {
			c.def = pc
		}
	}
	return c
}

// Get returns the class called name.
func (c Classes) Get(name string) (*schedulingv1.PriorityClass, bool) {
	pc, ok := c.byName[name]
	return pc, ok
}

// Names lists the known classes, sorted (for error messages).
func (c Classes) Names() []string {
	out := make([]string, 0, len(c.byName))
	for n := range c.byName {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Resolve returns the priority and preemption policy a pod spec gets at
// creation: from its class, else from the globalDefault class, else 0 and
// PreemptLowerPriority. The error is Kubernetes' admission message
// without the "pods "x" is forbidden: " head (see Forbidden).
func (c Classes) Resolve(spec *corev1.PodSpec) (int32, corev1.PreemptionPolicy, error) {
	var pc *schedulingv1.PriorityClass
	switch name := spec.PriorityClassName; {
	case name != "":
		var ok bool
		if pc, ok = c.byName[name]; !ok {
			return 0, "", fmt.Errorf("no PriorityClass with name %s was found", name)
		}
	default:
		pc = c.def
	}
	value, policy := int32(0), corev1.PreemptLowerPriority
	if pc != nil {
		value = pc.Value
		if pc.PreemptionPolicy != nil {
			policy = *pc.PreemptionPolicy
		}
	}
	if spec.Priority != nil && *spec.Priority != value {
		return 0, "", fmt.Errorf("the integer value of priority (%d) must not be provided in pod spec; priority admission controller computed %d from the given PriorityClass name", *spec.Priority, value)
	}
	if spec.PreemptionPolicy != nil && *spec.PreemptionPolicy != policy {
		return 0, "", fmt.Errorf("the string value of PreemptionPolicy (%s) must not be provided in pod spec; priority admission controller computed %s from the given PriorityClass name", *spec.PreemptionPolicy, policy)
	}
	return value, policy, nil
}

// Admit sets spec.priority and spec.preemptionPolicy as Kubernetes'
// Priority admission plugin does when a pod is created; the error is the
// API server's answer, e.g. `pods "web-1" is forbidden: no PriorityClass
// with name high was found`.
func (c Classes) Admit(pod *corev1.Pod) error {
	value, policy, err := c.Resolve(&pod.Spec)
	if err != nil {
		return Forbidden(pod.Name, err)
	}
	pod.Spec.Priority = &value
	pod.Spec.PreemptionPolicy = &policy
	return nil
}

// Forbidden words an admission refusal as the API server does.
func Forbidden(pod string, err error) error {
	return fmt.Errorf("pods %q is forbidden: %w", pod, err)
}

// Of is a pod's priority (0 when unresolved, as Kubernetes' GetPodPriority).
func Of(pod *corev1.Pod) int32 {
	if pod.Spec.Priority != nil {
		return *pod.Spec.Priority
	}
	return 0
}

// MayPreempt reports whether the pod's preemptionPolicy allows it to
// preempt (anything but Never).
func MayPreempt(pod *corev1.Pod) bool {
	return pod.Spec.PreemptionPolicy == nil || *pod.Spec.PreemptionPolicy != corev1.PreemptNever
}

// Reserved reports whether a class name is reserved for built-in classes.
func Reserved(name string) bool { return strings.HasPrefix(name, ReservedPrefix) }
