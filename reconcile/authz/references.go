package authz

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/schema/objects"
)

// References are the ConfigMaps and Secrets a pod names, each by name in
// the pod's namespace: what its node may read (Kubernetes' Node
// authorizer builds the same edges into its graph).
type References struct {
	ConfigMaps map[string]bool
	Secrets    map[string]bool
}

// ReferencesOf collects every ConfigMap and Secret a pod references:
// volumes (secret, configMap, projected sources), env valueFrom and
// envFrom of every container (init, regular, ephemeral), and
// imagePullSecrets.
func ReferencesOf(p *corev1.Pod) References {
	r := References{ConfigMaps: map[string]bool{}, Secrets: map[string]bool{}}
	addCM := func(name string) {
		if name != "" {
			r.ConfigMaps[name] = true
		}
	}
	addSecret := func(name string) {
		if name != "" {
			r.Secrets[name] = true
		}
	}
	for _, s := range p.Spec.ImagePullSecrets {
		addSecret(s.Name)
	}
	for _, v := range p.Spec.Volumes {
		if v.Secret != nil {
			addSecret(v.Secret.SecretName)
		}
		if v.ConfigMap != nil {
			addCM(v.ConfigMap.Name)
		}
		if v.Projected != nil {
			for _, src := range v.Projected.Sources {
				if src.Secret != nil {
					addSecret(src.Secret.Name)
				}
				if src.ConfigMap != nil {
					addCM(src.ConfigMap.Name)
				}
			}
		}
	}
	env := func(envFrom []corev1.EnvFromSource, env []corev1.EnvVar) {
		for _, f := range envFrom {
			if f.ConfigMapRef != nil {
				addCM(f.ConfigMapRef.Name)
			}
			if f.SecretRef != nil {
				addSecret(f.SecretRef.Name)
			}
		}
		for _, e := range env {
			if e.ValueFrom == nil {
				continue
			}
			if e.ValueFrom.ConfigMapKeyRef != nil {
				addCM(e.ValueFrom.ConfigMapKeyRef.Name)
			}
			if e.ValueFrom.SecretKeyRef != nil {
				addSecret(e.ValueFrom.SecretKeyRef.Name)
			}
		}
	}
	for _, c := range p.Spec.InitContainers {
		env(c.EnvFrom, c.Env)
	}
	for _, c := range p.Spec.Containers {
		env(c.EnvFrom, c.Env)
	}
	for _, c := range p.Spec.EphemeralContainers {
		env(c.EnvFrom, c.Env)
	}
	return r
}

// granted is what a pod lets its node read. A pod its node reported for
// adoption (objects.AnnotationAdoptedFromNode) was written by the node
// itself, so its references alone prove nothing: Kubernetes refuses mirror
// pods that reference Secrets or ConfigMaps for this reason. It grants
// only what it and its controller's pod template both reference, and
// nothing before a controller has adopted it; a node that forges a pod to
// read some Secret gets only Secrets a workload's pods may already run with.
func granted(p *corev1.Pod, g Graph) (References, error) {
	refs := ReferencesOf(p)
	if _, adopted := p.Annotations[objects.AnnotationAdoptedFromNode]; !adopted {
		return refs, nil
	}
	none := References{ConfigMaps: map[string]bool{}, Secrets: map[string]bool{}}
	ref := metav1.GetControllerOf(p)
	if ref == nil {
		return none, nil
	}
	owner, err := g.Controller(p.Namespace, *ref)
	if err != nil {
		return none, fmt.Errorf("authorizing: the controller of adopted pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	tmpl := TemplateOf(owner)
	if tmpl == nil {
		return none, nil
	}
	want := ReferencesOf(&corev1.Pod{Spec: tmpl.Spec})
	for k := range refs.ConfigMaps {
		if !want.ConfigMaps[k] {
			delete(refs.ConfigMaps, k)
		}
	}
	for k := range refs.Secrets {
		if !want.Secrets[k] {
			delete(refs.Secrets, k)
		}
	}
	return refs, nil
}

// TemplateOf is the pod template of a workload that controls pods
// (ReplicaSet, DaemonSet, StatefulSet, Job), nil for anything else.
func TemplateOf(o objects.Object) *corev1.PodTemplateSpec {
	switch o := o.(type) {
	case *appsv1.ReplicaSet:
		return &o.Spec.Template
	case *appsv1.DaemonSet:
		return &o.Spec.Template
	case *appsv1.StatefulSet:
		return &o.Spec.Template
	case *batchv1.Job:
		return &o.Spec.Template
	}
	return nil
}
