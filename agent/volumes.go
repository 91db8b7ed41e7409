package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// Pod volumes live on the host under <dataDir>/pods/<uid>/volumes/<name>
// and are bind-mounted into the containers; the directory goes with the pod.
// A secret volume's directory is a tmpfs of its own (secretfs.go).
func podDir(dataDir string, uid string) string { return filepath.Join(dataDir, "pods", uid) }

func volumeDir(dataDir string, pod *corev1.Pod, name string) string {
	return filepath.Join(podDir(dataDir, string(pod.UID)), "volumes", name)
}

// prepareVolumes creates the pod's volume directories and (re)writes the
// files of its configMap and secret volumes. It returns the host directory
// of every volume by name.
func prepareVolumes(ctx context.Context, oc *objectCache, dataDir string, pod *corev1.Pod) (map[string]string, error) {
	dirs := map[string]string{}
	for _, v := range pod.Spec.Volumes {
		switch {
		case v.HostPath != nil:
			if err := prepareHostPath(v.Name, v.HostPath); err != nil {
				return nil, err
			}
			dirs[v.Name] = v.HostPath.Path
			continue
		case v.PersistentVolumeClaim != nil:
			continue // a named Podman volume: Podman creates it when missing
		}
		dir := volumeDir(dataDir, pod, v.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("volume %s: %w", v.Name, err)
		}
		if v.Secret != nil {
			if err := ensureTmpfs(dir); err != nil { // secretfs.go
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
		}
		dirs[v.Name] = dir
		var files map[string][]byte
		var items []corev1.KeyToPath
		var mode *int32
		switch {
		case v.EmptyDir != nil:
			if err := os.Chmod(dir, 0o777); err != nil { // any container user may write, as in Kubernetes
				return nil, err
			}
			continue
		case v.ConfigMap != nil:
			cm, err := oc.configMap(ctx, pod.Namespace, v.ConfigMap.Name)
			if err != nil {
				if errors.Is(err, ErrNotFound) && isOptional(v.ConfigMap.Optional) {
					continue
				}
				return nil, refError("volume "+v.Name+" configMap", pod.Namespace, v.ConfigMap.Name, err)
			}
			files = map[string][]byte{}
			for k, s := range cm.Data {
				files[k] = []byte(s)
			}
			for k, b := range cm.BinaryData {
				files[k] = b
			}
			items, mode = v.ConfigMap.Items, v.ConfigMap.DefaultMode
		case v.DownwardAPI != nil:
			var err error
			if files, items, err = downwardFiles(pod, v.DownwardAPI, oc.host); err != nil {
				return nil, configErrorf("volume %s: %v", v.Name, err)
			}
			mode = v.DownwardAPI.DefaultMode
		case v.Secret != nil:
			s, err := oc.secret(ctx, pod.Namespace, v.Secret.SecretName)
			if err != nil {
				if errors.Is(err, ErrNotFound) && isOptional(v.Secret.Optional) {
					continue
				}
				return nil, refError("volume "+v.Name+" secret", pod.Namespace, v.Secret.SecretName, err)
			}
			files, items, mode = secretKeys(s), v.Secret.Items, v.Secret.DefaultMode
			if mode == nil {
				m := int32(defaultSecretMode)
				mode = &m
			}
		default:
			return nil, configErrorf("volume %s: only emptyDir, configMap, secret, downwardAPI, hostPath and persistentVolumeClaim volumes are supported", v.Name)
		}
		if err := writeProjection(dir, v.Name, files, items, mode); err != nil {
			return nil, err
		}
	}
	return dirs, nil
}

// writeProjection writes keys as files: all keys, or only items (key → path,
// per-item mode). Files of keys that are gone are removed.
func writeProjection(dir, volume string, data map[string][]byte, items []corev1.KeyToPath, defaultMode *int32) error {
	mode := os.FileMode(corev1.ConfigMapVolumeSourceDefaultMode)
	if defaultMode != nil {
		mode = os.FileMode(*defaultMode)
	}
	type file struct {
		path string
		data []byte
		mode os.FileMode
	}
	var files []file
	if len(items) == 0 {
		for k, b := range data {
			files = append(files, file{k, b, mode})
		}
	}
	for _, it := range items {
		b, ok := data[it.Key]
		if !ok {
			return configErrorf("volume %s: key %q not found; add the key or remove the item", volume, it.Key)
		}
		m := mode
		if it.Mode != nil {
			m = os.FileMode(*it.Mode)
		}
		files = append(files, file{it.Path, b, m})
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	keep := map[string]bool{}
	for _, f := range files {
		p, err := inside(dir, f.path)
		if err != nil {
			return configErrorf("volume %s: %v", volume, err)
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := writeFileAtomic(p, f.data, f.mode); err != nil {
			return fmt.Errorf("volume %s: %w", volume, err)
		}
		keep[p] = true
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if p := filepath.Join(dir, e.Name()); !e.IsDir() && !keep[p] {
			os.Remove(p)
		}
	}
	return nil
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, mode); err != nil {
		return err
	}
	if err := os.Chmod(tmp, mode); err != nil { // WriteFile's mode is filtered by the umask
		return err
	}
	return os.Rename(tmp, path)
}

// inside joins a relative path under dir and refuses one that leaves it.
func inside(dir, rel string) (string, error) {
	if filepath.IsAbs(rel) || rel == "" {
		return "", fmt.Errorf("path %q must be relative and not empty", rel)
	}
	p := filepath.Join(dir, rel)
	if p != dir && !strings.HasPrefix(p, dir+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q leaves the volume", rel)
	}
	return p, nil
}

// containerMounts maps volumeMounts to bind mounts. configMap and secret
// volumes are always read-only, as in Kubernetes.
func containerMounts(pod *corev1.Pod, c *corev1.Container, dirs map[string]string) ([]Mount, error) {
	kinds := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		kinds[v.Name] = v
	}
	var mounts []Mount
	for _, vm := range c.VolumeMounts {
		if v, ok := kinds[vm.Name]; ok && v.PersistentVolumeClaim != nil {
			if vm.SubPath != "" {
				return nil, configErrorf("container %s: volumeMount %s: subPath is not supported on persistentVolumeClaim volumes", c.Name, vm.Name)
			}
			mounts = append(mounts, Mount{Volume: v.PersistentVolumeClaim.ClaimName, Destination: vm.MountPath,
				ReadOnly: vm.ReadOnly || v.PersistentVolumeClaim.ReadOnly})
			continue
		}
		dir, ok := dirs[vm.Name]
		if !ok {
			if _, declared := kinds[vm.Name]; declared {
				continue // an optional configMap/secret that does not exist
			}
			return nil, configErrorf("container %s: volumeMount %q names no volume of the pod", c.Name, vm.Name)
		}
		src := dir
		if vm.SubPath != "" {
			p, err := inside(dir, vm.SubPath)
			if err != nil {
				return nil, configErrorf("container %s: volumeMount %s subPath: %v", c.Name, vm.Name, err)
			}
			if _, err := os.Stat(p); os.IsNotExist(err) {
				if err := os.MkdirAll(p, 0o777); err != nil {
					return nil, err
				}
			}
			src = p
		}
		v := kinds[vm.Name]
		ro := vm.ReadOnly || v.ConfigMap != nil || v.Secret != nil || v.DownwardAPI != nil
		mounts = append(mounts, Mount{Source: src, Destination: vm.MountPath, ReadOnly: ro})
	}
	return mounts, nil
}

// prepareHostPath checks or creates a hostPath volume's path per its type,
// as the kubelet does: DirectoryOrCreate and FileOrCreate create it; the
// checked types must find the right kind of file; "" mounts whatever is there.
func prepareHostPath(name string, hp *corev1.HostPathVolumeSource) error {
	if !filepath.IsAbs(hp.Path) {
		return configErrorf("volume %s: hostPath %q must be an absolute path", name, hp.Path)
	}
	typ := corev1.HostPathUnset
	if hp.Type != nil {
		typ = *hp.Type
	}
	fi, err := os.Stat(hp.Path)
	switch typ {
	case corev1.HostPathDirectoryOrCreate:
		if os.IsNotExist(err) {
			return os.MkdirAll(hp.Path, 0o755)
		}
	case corev1.HostPathFileOrCreate:
		if os.IsNotExist(err) {
			if err := os.MkdirAll(filepath.Dir(hp.Path), 0o755); err != nil {
				return err
			}
			return os.WriteFile(hp.Path, nil, 0o644)
		}
	case corev1.HostPathDirectory:
		if err != nil || !fi.IsDir() {
			return configErrorf("volume %s: hostPath %s is not a directory on this node (type Directory); create it or use DirectoryOrCreate", name, hp.Path)
		}
	case corev1.HostPathFile:
		if err != nil || !fi.Mode().IsRegular() {
			return configErrorf("volume %s: hostPath %s is not a file on this node (type File); create it or use FileOrCreate", name, hp.Path)
		}
	case corev1.HostPathSocket:
		if err != nil || fi.Mode()&os.ModeSocket == 0 {
			return configErrorf("volume %s: hostPath %s is not a socket on this node", name, hp.Path)
		}
	}
	return nil
}
