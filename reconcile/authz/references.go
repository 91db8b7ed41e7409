package authz

import (
	corev1 "k8s.io/api/core/v1"
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
