package quota

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// AnnotationLimitRanger lists what LimitRanger set on a pod, as Kubernetes
// records it ("LimitRanger plugin set: cpu, memory request for container
// app; cpu limit for container app").
const AnnotationLimitRanger = "kubernetes.io/limit-ranger"

// EffectiveItem is a LimitRange item with Kubernetes' API defaults
// (SetDefaults_LimitRangeItem) for type Container: a default limit
// unset but a max set is the max; a default request unset is the default
// limit, else the min. Kubernetes stores these; reconcile applies them
// when it reads the range, so the stored object is the manifest.
func EffectiveItem(it corev1.LimitRangeItem) corev1.LimitRangeItem {
	if it.Type != corev1.LimitTypeContainer {
		return it
	}
	out := *it.DeepCopy()
	if out.Default == nil {
		out.Default = corev1.ResourceList{}
	}
	if out.DefaultRequest == nil {
		out.DefaultRequest = corev1.ResourceList{}
	}
	for k, v := range it.Max {
		if _, ok := out.Default[k]; !ok {
			out.Default[k] = v.DeepCopy()
		}
	}
	for k, v := range out.Default {
		if _, ok := out.DefaultRequest[k]; !ok {
			out.DefaultRequest[k] = v.DeepCopy()
		}
	}
	for k, v := range it.Min {
		if _, ok := out.DefaultRequest[k]; !ok {
			out.DefaultRequest[k] = v.DeepCopy()
		}
	}
	return out
}

// LimitPod is Kubernetes' LimitRanger admission of a pod being created:
// first every Container item of ranges (in order) sets the requests and
// limits each container and init container leaves unset (a container
// with a limit but no request first gets the request = the limit, the
// API server's defaulting), recording them in AnnotationLimitRanger; then
// each container, and the pod's sum for type Pod items, is checked against
// min, max and maxLimitRequestRatio. pod is changed in place; the error
// lists every violation with the API server's words.
func LimitPod(pod *corev1.Pod, ranges []*corev1.LimitRange) error {
	return NewLimits(ranges).Apply(pod)
}

// Limits are a namespace's LimitRange items with their defaults
// (EffectiveItem), in order: LimitPod prepared once for many pods.
type Limits struct{ items []corev1.LimitRangeItem }

// NewLimits prepares ranges (in the order LimitRanger applies them).
func NewLimits(ranges []*corev1.LimitRange) Limits {
	var l Limits
	for _, lr := range ranges {
		for _, raw := range lr.Spec.Limits {
			l.items = append(l.items, EffectiveItem(raw))
		}
	}
	return l
}

// Empty reports whether there is no item.
func (l Limits) Empty() bool { return len(l.items) == 0 }

// Apply is LimitPod with the prepared ranges.
func (l Limits) Apply(pod *corev1.Pod) error {
	if len(l.items) == 0 {
		return nil
	}
	var set []string
	for _, it := range l.items {
		if it.Type != corev1.LimitTypeContainer {
			continue
		}
		for _, cs := range [][]corev1.Container{pod.Spec.InitContainers, pod.Spec.Containers} {
			for i := range cs {
				set = append(set, mergeDefaults(&cs[i], it)...)
			}
		}
	}
	if len(set) > 0 {
		a := make(map[string]string, len(pod.Annotations)+1)
		for k, v := range pod.Annotations {
			a[k] = v
		}
		a[AnnotationLimitRanger] = "LimitRanger plugin set: " + strings.Join(set, "; ")
		pod.Annotations = a
	}
	var errs []error
	for _, it := range l.items {
		switch it.Type {
		case corev1.LimitTypeContainer:
			for _, cs := range [][]corev1.Container{pod.Spec.Containers, pod.Spec.InitContainers} {
				for i := range cs {
					errs = append(errs, constraints("Container", it, cs[i].Resources.Requests, cs[i].Resources.Limits)...)
				}
			}
		case corev1.LimitTypePod:
			errs = append(errs, constraints("Pod", it, podRequests(pod), podLimits(pod))...)
		}
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	// utilerrors.NewAggregate's words for several.
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return errors.New("[" + strings.Join(msgs, ", ") + "]")
}

// mergeDefaults is Kubernetes' mergeContainerResources: the item's
// default limits and requests for what c leaves unset; it returns what it
// set, in the annotation's words.
func mergeDefaults(c *corev1.Container, it corev1.LimitRangeItem) []string {
	for k, v := range c.Resources.Limits {
		if _, ok := c.Resources.Requests[k]; !ok && IsCompute(k) {
			if c.Resources.Requests == nil {
				c.Resources.Requests = corev1.ResourceList{}
			}
			c.Resources.Requests[k] = v.DeepCopy()
		}
	}
	var setLimits, setRequests []string
	for _, k := range sortedNames(it.Default) {
		if _, ok := c.Resources.Limits[k]; !ok {
			if c.Resources.Limits == nil {
				c.Resources.Limits = corev1.ResourceList{}
			}
			c.Resources.Limits[k] = it.Default[k].DeepCopy()
			setLimits = append(setLimits, string(k))
		}
	}
	for _, k := range sortedNames(it.DefaultRequest) {
		if _, ok := c.Resources.Requests[k]; !ok {
			if c.Resources.Requests == nil {
				c.Resources.Requests = corev1.ResourceList{}
			}
			c.Resources.Requests[k] = it.DefaultRequest[k].DeepCopy()
			setRequests = append(setRequests, string(k))
		}
	}
	var out []string
	if len(setRequests) > 0 {
		out = append(out, fmt.Sprintf("%s request for container %s", strings.Join(setRequests, ", "), c.Name))
	}
	if len(setLimits) > 0 {
		out = append(out, fmt.Sprintf("%s limit for container %s", strings.Join(setLimits, ", "), c.Name))
	}
	return out
}

func sortedNames(l corev1.ResourceList) []corev1.ResourceName {
	names := make([]corev1.ResourceName, 0, len(l))
	for k := range l {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

// constraints checks one container's (or pod's) requests and limits
// against an item's min, max and maxLimitRequestRatio.
func constraints(kind string, it corev1.LimitRangeItem, req, lim corev1.ResourceList) []error {
	var errs []error
	for _, k := range sortedNames(it.Min) {
		if err := minConstraint(kind, k, it.Min[k], req, lim); err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range sortedNames(it.Max) {
		if err := maxConstraint(kind, k, it.Max[k], req, lim); err != nil {
			errs = append(errs, err)
		}
	}
	for _, k := range sortedNames(it.MaxLimitRequestRatio) {
		if err := ratioConstraint(kind, k, it.MaxLimitRequestRatio[k], req, lim); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// minConstraint is Kubernetes' minConstraint.
func minConstraint(kind string, name corev1.ResourceName, enforced resource.Quantity, req, lim corev1.ResourceList) error {
	r, hasReq := req[name]
	l, hasLim := lim[name]
	if !hasReq {
		return fmt.Errorf("minimum %s usage per %s is %s.  No request is specified", name, kind, enforced.String())
	}
	if r.Cmp(enforced) < 0 {
		return fmt.Errorf("minimum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), r.String())
	}
	if hasLim && l.Cmp(enforced) < 0 {
		return fmt.Errorf("minimum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), l.String())
	}
	return nil
}

// maxConstraint is Kubernetes' maxConstraint.
func maxConstraint(kind string, name corev1.ResourceName, enforced resource.Quantity, req, lim corev1.ResourceList) error {
	r, hasReq := req[name]
	l, hasLim := lim[name]
	if !hasLim {
		return fmt.Errorf("maximum %s usage per %s is %s.  No limit is specified", name, kind, enforced.String())
	}
	if l.Cmp(enforced) > 0 {
		return fmt.Errorf("maximum %s usage per %s is %s, but limit is %s", name, kind, enforced.String(), l.String())
	}
	if hasReq && r.Cmp(enforced) > 0 {
		return fmt.Errorf("maximum %s usage per %s is %s, but request is %s", name, kind, enforced.String(), r.String())
	}
	return nil
}

// ratioConstraint is Kubernetes' limitRequestRatioConstraint.
func ratioConstraint(kind string, name corev1.ResourceName, enforced resource.Quantity, req, lim corev1.ResourceList) error {
	r, hasReq := req[name]
	l, hasLim := lim[name]
	if !hasReq || r.IsZero() {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no request is specified or request is 0", name, kind, enforced.String())
	}
	if !hasLim || l.IsZero() {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but no limit is specified or limit is 0", name, kind, enforced.String())
	}
	ratio := float64(l.MilliValue()) / float64(r.MilliValue())
	if ratio*1000 > float64(enforced.MilliValue()) {
		return fmt.Errorf("%s max limit to request ratio per %s is %s, but provided ratio is %f", name, kind, enforced.String(), ratio)
	}
	return nil
}

func resource1() *resource.Quantity { return resource.NewQuantity(1, resource.DecimalSI) }

// Defaulted is one value LimitRanger set on a container: a request or a
// limit of one resource.
type Defaulted struct {
	Resource corev1.ResourceName
	Limit    bool // a limit, else a request
}

// List is the container's list the value is in.
func (f Defaulted) List(r *corev1.ResourceRequirements) corev1.ResourceList {
	if f.Limit {
		return r.Limits
	}
	return r.Requests
}

// Set puts v in the container's list.
func (f Defaulted) Set(r *corev1.ResourceRequirements, v resource.Quantity) {
	l := &r.Requests
	if f.Limit {
		l = &r.Limits
	}
	if *l == nil {
		*l = corev1.ResourceList{}
	}
	(*l)[f.Resource] = v
}

// DefaultedBy reads a pod's AnnotationLimitRanger: what LimitRanger set,
// by container name.
func DefaultedBy(pod *corev1.Pod) map[string][]Defaulted {
	a, ok := strings.CutPrefix(pod.Annotations[AnnotationLimitRanger], "LimitRanger plugin set: ")
	if !ok {
		return nil
	}
	out := map[string][]Defaulted{}
	for _, part := range strings.Split(a, "; ") {
		var limit bool
		names, container, found := strings.Cut(part, " request for container ")
		if !found {
			names, container, found = strings.Cut(part, " limit for container ")
			limit = true
		}
		if !found {
			continue
		}
		for _, n := range strings.Split(names, ", ") {
			out[container] = append(out[container], Defaulted{Resource: corev1.ResourceName(n), Limit: limit})
		}
	}
	return out
}
