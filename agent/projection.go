package agent

import (
	"context"
	"errors"
	"os"

	corev1 "k8s.io/api/core/v1"
)

// A payload is what a configMap, secret, downwardAPI or projected volume
// should hold: file path (relative to the volume, may have directories)
// → content and mode. The atomic writer (atomic_writer.go) makes a
// directory hold exactly that.
type payload map[string]projectedFile

type projectedFile struct {
	Data []byte
	Mode os.FileMode
}

// projectsObjects says whether the volume is one whose files the agent
// writes (and keeps up to date while the pod runs).
func projectsObjects(v corev1.Volume) bool {
	return v.ConfigMap != nil || v.Secret != nil || v.DownwardAPI != nil || v.Projected != nil
}

// holdsSecrets says whether the volume's files are secret material, kept on
// a tmpfs of its own (secretfs.go): a secret volume, or a projected volume
// with a secret source.
func holdsSecrets(v corev1.Volume) bool {
	if v.Secret != nil {
		return true
	}
	if v.Projected != nil {
		for _, s := range v.Projected.Sources {
			if s.Secret != nil {
				return true
			}
		}
	}
	return false
}

// volumePayload computes the files of a configMap, secret, downwardAPI or
// projected volume from the objects it references (through oc, once per
// sync) and the pod itself. An optional object that does not exist
// contributes no files, as in Kubernetes; a missing object or key that is
// not optional is a configError (CreateContainerConfigError, an event).
func volumePayload(ctx context.Context, oc *objectCache, pod *corev1.Pod, v corev1.Volume) (payload, error) {
	out := payload{}
	switch {
	case v.ConfigMap != nil:
		return out, addConfigMap(ctx, oc, pod, v.Name, v.ConfigMap.Name, v.ConfigMap.Items, v.ConfigMap.Optional, modeOr(v.ConfigMap.DefaultMode, corev1.ConfigMapVolumeSourceDefaultMode), out)
	case v.Secret != nil:
		return out, addSecret(ctx, oc, pod, v.Name, v.Secret.SecretName, v.Secret.Items, v.Secret.Optional, modeOr(v.Secret.DefaultMode, defaultSecretMode), out)
	case v.DownwardAPI != nil:
		return out, addDownward(pod, v.Name, v.DownwardAPI.Items, modeOr(v.DownwardAPI.DefaultMode, corev1.DownwardAPIVolumeSourceDefaultMode), oc.host, out)
	case v.Projected != nil:
		mode := modeOr(v.Projected.DefaultMode, corev1.ProjectedVolumeSourceDefaultMode)
		for _, s := range v.Projected.Sources {
			var err error
			switch {
			case s.ConfigMap != nil:
				err = addConfigMap(ctx, oc, pod, v.Name, s.ConfigMap.Name, s.ConfigMap.Items, s.ConfigMap.Optional, mode, out)
			case s.Secret != nil:
				err = addSecret(ctx, oc, pod, v.Name, s.Secret.Name, s.Secret.Items, s.Secret.Optional, mode, out)
			case s.DownwardAPI != nil:
				err = addDownward(pod, v.Name, s.DownwardAPI.Items, mode, oc.host, out)
			default: // refused by schema.cue; a pod from an older store may still carry one
				err = configErrorf("volume %s: only configMap, secret and downwardAPI sources of a projected volume are supported", v.Name)
			}
			if err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, configErrorf("volume %s: not a configMap, secret, downwardAPI or projected volume", v.Name)
}

func modeOr(m *int32, def int32) os.FileMode {
	if m != nil {
		return os.FileMode(*m)
	}
	return os.FileMode(def)
}

func addConfigMap(ctx context.Context, oc *objectCache, pod *corev1.Pod, volume, name string, items []corev1.KeyToPath, optional *bool, mode os.FileMode, out payload) error {
	cm, err := oc.configMap(ctx, pod.Namespace, name)
	if err != nil {
		if errors.Is(err, ErrNotFound) && isOptional(optional) {
			return nil
		}
		return refError("volume "+volume+" configMap", pod.Namespace, name, err)
	}
	data := map[string][]byte{}
	for k, s := range cm.Data {
		data[k] = []byte(s)
	}
	for k, b := range cm.BinaryData {
		data[k] = b
	}
	return addKeys(volume, "ConfigMap "+pod.Namespace+"/"+name, data, items, isOptional(optional), mode, out)
}

func addSecret(ctx context.Context, oc *objectCache, pod *corev1.Pod, volume, name string, items []corev1.KeyToPath, optional *bool, mode os.FileMode, out payload) error {
	s, err := oc.secret(ctx, pod.Namespace, name)
	if err != nil {
		if errors.Is(err, ErrNotFound) && isOptional(optional) {
			return nil
		}
		return refError("volume "+volume+" secret", pod.Namespace, name, err)
	}
	return addKeys(volume, "Secret "+pod.Namespace+"/"+name, secretKeys(s), items, isOptional(optional), mode, out)
}

// addKeys is the kubelet's rule for keys as files: every key when items is
// empty, else only the listed keys at their paths (a key not listed is
// absent); a listed key that is missing is an error unless optional.
func addKeys(volume, object string, data map[string][]byte, items []corev1.KeyToPath, optional bool, mode os.FileMode, out payload) error {
	if len(items) == 0 {
		for k, b := range data {
			out[k] = projectedFile{b, mode}
		}
		return nil
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			if optional {
				continue
			}
			return configErrorf("volume %s: key %q not found in %s; add the key, remove the item or mark the source optional", volume, it.Key, object)
		}
		out[it.Path] = projectedFile{b, modeOr(it.Mode, int32(mode))}
	}
	return nil
}

func addDownward(pod *corev1.Pod, volume string, items []corev1.DownwardAPIVolumeFile, mode os.FileMode, host HostInfo, out payload) error {
	files, keys, err := downwardFiles(pod, &corev1.DownwardAPIVolumeSource{Items: items}, host)
	if err != nil {
		return configErrorf("volume %s: %v", volume, err)
	}
	for _, k := range keys {
		out[k.Path] = projectedFile{files[k.Key], modeOr(k.Mode, int32(mode))}
	}
	return nil
}
