package agent

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// resourceValue is a resourceFieldRef's value as the kubelet computes it:
// the container's request or limit divided by divisor, rounded up; a limit
// that is not set is the pod-level limit when there is one, else the node's
// allocatable (host), as in Kubernetes.
func resourceValue(pod *corev1.Pod, container string, ref *corev1.ResourceFieldSelector, host HostInfo) (string, error) {
	c := specContainer(pod, container)
	if c == nil {
		return "", configErrorf("resourceFieldRef: container %q is not in the pod", container)
	}
	kind, name, _ := strings.Cut(ref.Resource, ".")
	var list corev1.ResourceList
	switch kind {
	case "limits":
		list = c.Resources.Limits
	case "requests":
		list = c.Resources.Requests
	default:
		return "", configErrorf("resourceFieldRef %q: want limits.cpu, limits.memory, requests.cpu or requests.memory", ref.Resource)
	}
	q, ok := list[corev1.ResourceName(name)]
	if !ok && kind == "limits" && pod.Spec.Resources != nil {
		q, ok = pod.Spec.Resources.Limits[corev1.ResourceName(name)]
	}
	if !ok {
		switch {
		case kind == "limits" && name == "cpu":
			q = *resource.NewQuantity(int64(host.CPUs), resource.DecimalSI)
		case kind == "limits" && name == "memory":
			q = *resource.NewQuantity(host.MemoryBytes, resource.BinarySI)
		default:
			q = resource.Quantity{}
		}
	}
	divisor := ref.Divisor
	if divisor.IsZero() {
		divisor = resource.MustParse("1")
	}
	if name == "cpu" {
		return strconv.FormatInt(int64(math.Ceil(float64(q.MilliValue())/float64(divisor.MilliValue()))), 10), nil
	}
	return strconv.FormatInt(int64(math.Ceil(float64(q.Value())/float64(divisor.Value()))), 10), nil
}

// downwardFiles are the files of a downwardAPI volume: pod fields and
// container resources, one file per item (labels and annotations as
// key="value" lines, as the kubelet writes them).
func downwardFiles(pod *corev1.Pod, v *corev1.DownwardAPIVolumeSource, host HostInfo) (map[string][]byte, []corev1.KeyToPath, error) {
	files := map[string][]byte{}
	var items []corev1.KeyToPath
	for _, it := range v.Items {
		var val string
		var err error
		switch {
		case it.FieldRef != nil && (it.FieldRef.FieldPath == "metadata.labels" || it.FieldRef.FieldPath == "metadata.annotations"):
			m := pod.Labels
			if it.FieldRef.FieldPath == "metadata.annotations" {
				m = pod.Annotations
			}
			val = formatMap(m)
		case it.FieldRef != nil:
			val, err = fieldValue(pod, it.FieldRef.FieldPath, "", "")
		case it.ResourceFieldRef != nil:
			val, err = resourceValue(pod, it.ResourceFieldRef.ContainerName, it.ResourceFieldRef, host)
		default:
			err = configErrorf("downwardAPI item %s: set fieldRef or resourceFieldRef", it.Path)
		}
		if err != nil {
			return nil, nil, err
		}
		files[it.Path] = []byte(val)
		items = append(items, corev1.KeyToPath{Key: it.Path, Path: it.Path, Mode: it.Mode})
	}
	return files, items, nil
}

func formatMap(m map[string]string) string {
	keys := slices.Sorted(maps.Keys(m))
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%q\n", k, m[k])
	}
	return b.String()
}
