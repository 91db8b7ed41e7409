package agent

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
)

// objectCache looks ConfigMaps and Secrets up once per sync: a pod with ten
// references to one ConfigMap asks the control plane once.
type objectCache struct {
	mu         sync.Mutex // pods are started in parallel
	cp         ControlPlane
	configMaps map[string]*corev1.ConfigMap
	secrets    map[string]*corev1.Secret
	errs       map[string]error
	// serviceEnv is agent.Options.ServiceEnv; services caches its answers
	// by namespace (see serviceVars in podnet.go).
	serviceEnv func(ctx context.Context, namespace string) (map[string]string, error)
	services   map[string]map[string]string
	// host is the node, for resourceFieldRef limits that are not set.
	host HostInfo
}

func newObjectCache(cp ControlPlane) *objectCache {
	return &objectCache{cp: cp, configMaps: map[string]*corev1.ConfigMap{}, secrets: map[string]*corev1.Secret{}, errs: map[string]error{}}
}

func (oc *objectCache) configMap(ctx context.Context, ns, name string) (*corev1.ConfigMap, error) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	k := "ConfigMap/" + ns + "/" + name
	if cm, ok := oc.configMaps[k]; ok {
		return cm, oc.errs[k]
	}
	cm, err := oc.cp.GetConfigMap(ctx, ns, name)
	oc.configMaps[k], oc.errs[k] = cm, err
	return cm, err
}

func (oc *objectCache) secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	oc.mu.Lock()
	defer oc.mu.Unlock()
	k := "Secret/" + ns + "/" + name
	if s, ok := oc.secrets[k]; ok {
		return s, oc.errs[k]
	}
	s, err := oc.cp.GetSecret(ctx, ns, name)
	oc.secrets[k], oc.errs[k] = s, err
	return s, err
}

// configError is a problem with the pod's references (a missing ConfigMap,
// key or unsupported field): the container waits with
// CreateContainerConfigError until it is fixed.
type configError struct{ msg string }

func (e *configError) Error() string { return e.msg }

func configErrorf(format string, args ...any) error {
	return &configError{fmt.Sprintf(format, args...)}
}

func secretValue(s *corev1.Secret, key string) ([]byte, bool) {
	if v, ok := s.Data[key]; ok {
		return v, true
	}
	v, ok := s.StringData[key]
	return []byte(v), ok
}

func secretKeys(s *corev1.Secret) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range s.StringData {
		out[k] = []byte(v)
	}
	for k, v := range s.Data {
		out[k] = v
	}
	return out
}

// containerEnv resolves env and envFrom the way the kubelet does: service
// variables first, envFrom after them, env last (env wins), $(VAR)
// references expanded against the variables defined before.
func containerEnv(ctx context.Context, oc *objectCache, pod *corev1.Pod, c *corev1.Container, podIP, hostIP string) (map[string]string, error) {
	env, err := oc.serviceVars(ctx, pod)
	if err != nil {
		return nil, err
	}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, err := oc.configMap(ctx, pod.Namespace, from.ConfigMapRef.Name)
			if err != nil {
				if errors.Is(err, ErrNotFound) && isOptional(from.ConfigMapRef.Optional) {
					continue
				}
				return nil, refError("envFrom configMapRef", pod.Namespace, from.ConfigMapRef.Name, err)
			}
			for k, v := range cm.Data {
				env[from.Prefix+k] = v
			}
		case from.SecretRef != nil:
			s, err := oc.secret(ctx, pod.Namespace, from.SecretRef.Name)
			if err != nil {
				if errors.Is(err, ErrNotFound) && isOptional(from.SecretRef.Optional) {
					continue
				}
				return nil, refError("envFrom secretRef", pod.Namespace, from.SecretRef.Name, err)
			}
			for k, v := range secretKeys(s) {
				env[from.Prefix+k] = string(v)
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = expand(e.Value, env)
			continue
		}
		if rf := e.ValueFrom.ResourceFieldRef; rf != nil {
			name := rf.ContainerName
			if name == "" {
				name = c.Name
			}
			v, err := resourceValue(pod, name, rf, oc.host)
			if err != nil {
				return nil, configErrorf("env %s: %v", e.Name, err)
			}
			env[e.Name] = v
			continue
		}
		v, ok, err := envValueFrom(ctx, oc, pod, e, podIP, hostIP)
		if err != nil {
			return nil, err
		}
		if ok {
			env[e.Name] = v
		}
	}
	return env, nil
}

func envValueFrom(ctx context.Context, oc *objectCache, pod *corev1.Pod, e corev1.EnvVar, podIP, hostIP string) (string, bool, error) {
	vf := e.ValueFrom
	switch {
	case vf.ConfigMapKeyRef != nil:
		ref := vf.ConfigMapKeyRef
		cm, err := oc.configMap(ctx, pod.Namespace, ref.Name)
		if err != nil {
			if errors.Is(err, ErrNotFound) && isOptional(ref.Optional) {
				return "", false, nil
			}
			return "", false, refError("env "+e.Name+" configMapKeyRef", pod.Namespace, ref.Name, err)
		}
		if v, ok := cm.Data[ref.Key]; ok {
			return v, true, nil
		}
		if isOptional(ref.Optional) {
			return "", false, nil
		}
		return "", false, configErrorf("env %s: key %q not found in ConfigMap %s/%s; add the key or mark the reference optional", e.Name, ref.Key, pod.Namespace, ref.Name)
	case vf.SecretKeyRef != nil:
		ref := vf.SecretKeyRef
		s, err := oc.secret(ctx, pod.Namespace, ref.Name)
		if err != nil {
			if errors.Is(err, ErrNotFound) && isOptional(ref.Optional) {
				return "", false, nil
			}
			return "", false, refError("env "+e.Name+" secretKeyRef", pod.Namespace, ref.Name, err)
		}
		if v, ok := secretValue(s, ref.Key); ok {
			return string(v), true, nil
		}
		if isOptional(ref.Optional) {
			return "", false, nil
		}
		return "", false, configErrorf("env %s: key %q not found in Secret %s/%s; add the key or mark the reference optional", e.Name, ref.Key, pod.Namespace, ref.Name)
	case vf.FieldRef != nil:
		v, err := fieldValue(pod, vf.FieldRef.FieldPath, podIP, hostIP)
		return v, err == nil, err
	default:
		return "", false, configErrorf("env %s: only value, configMapKeyRef, secretKeyRef, fieldRef and resourceFieldRef are supported", e.Name)
	}
}

func fieldValue(pod *corev1.Pod, path, podIP, hostIP string) (string, error) {
	switch path {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.podIP":
		return podIP, nil
	case "status.hostIP":
		return hostIP, nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": pod.Labels, "metadata.annotations": pod.Annotations} {
		if rest, ok := strings.CutPrefix(path, prefix+"['"); ok && strings.HasSuffix(rest, "']") {
			return m[strings.TrimSuffix(rest, "']")], nil
		}
	}
	return "", configErrorf("fieldRef %q is not supported; use metadata.name, metadata.namespace, metadata.uid, metadata.labels['k'], metadata.annotations['k'], spec.nodeName, status.podIP or status.hostIP", path)
}

func refError(what, ns, name string, err error) error {
	if errors.Is(err, ErrNotFound) {
		return configErrorf("%s: %s/%s not found; create it or mark the reference optional", what, ns, name)
	}
	return fmt.Errorf("%s: reading %s/%s: %w", what, ns, name, err)
}

func isOptional(b *bool) bool { return b != nil && *b }

// expand replaces $(VAR) with the value of VAR when it is defined and $$(VAR)
// with the literal $(VAR), as Kubernetes does for env values, command and args.
func expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

func expandAll(ss []string, env map[string]string) []string {
	if ss == nil {
		return nil
	}
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = expand(s, env)
	}
	return out
}
