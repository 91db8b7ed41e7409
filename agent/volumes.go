package agent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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

// prepareVolumes creates the pod's volume directories and writes the files
// of its configMap, secret, downwardAPI and projected volumes (payload:
// projection.go; layout: atomic_writer.go). It returns the host directory
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
		if holdsSecrets(v) {
			if err := ensureTmpfs(dir); err != nil { // secretfs.go
				return nil, fmt.Errorf("volume %s: %w", v.Name, err)
			}
		}
		dirs[v.Name] = dir
		switch {
		case v.EmptyDir != nil:
			if err := os.Chmod(dir, 0o777); err != nil { // any container user may write, as in Kubernetes
				return nil, err
			}
		case projectsObjects(v):
			if _, err := writeVolume(ctx, oc, pod, v, dir); err != nil {
				return nil, err
			}
		default:
			return nil, configErrorf("volume %s: only emptyDir, configMap, secret, downwardAPI, projected, hostPath and persistentVolumeClaim volumes are supported", v.Name)
		}
	}
	return dirs, nil
}

// writeVolume makes a configMap, secret, downwardAPI or projected volume's
// directory hold its current files, and says whether anything changed.
func writeVolume(ctx context.Context, oc *objectCache, pod *corev1.Pod, v corev1.Volume, dir string) (bool, error) {
	files, err := volumePayload(ctx, oc, pod, v)
	if err != nil {
		return false, err
	}
	changed, err := writeProjection(atomicWriter{}, dir, files)
	if err != nil {
		var cfg *configError
		if errors.As(err, &cfg) {
			return false, configErrorf("volume %s: %v", v.Name, err)
		}
		return false, fmt.Errorf("volume %s: writing its files in %s: %w", v.Name, dir, err)
	}
	return changed, nil
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

// containerMounts maps volumeMounts to bind mounts. configMap, secret,
// downwardAPI and projected volumes are always read-only, as in Kubernetes.
// env is the container's environment, for subPathExpr.
func containerMounts(pod *corev1.Pod, c *corev1.Container, dirs map[string]string, env map[string]string) ([]Mount, error) {
	kinds := map[string]corev1.Volume{}
	for _, v := range pod.Spec.Volumes {
		kinds[v.Name] = v
	}
	var mounts []Mount
	for _, vm := range c.VolumeMounts {
		subPath, err := mountSubPath(vm, env)
		if err != nil {
			return nil, configErrorf("container %s: volumeMount %s: %v", c.Name, vm.Name, err)
		}
		if v, ok := kinds[vm.Name]; ok && v.PersistentVolumeClaim != nil {
			if subPath != "" {
				return nil, configErrorf("container %s: volumeMount %s: subPath is not supported on persistentVolumeClaim volumes", c.Name, vm.Name)
			}
			mounts = append(mounts, Mount{Volume: v.PersistentVolumeClaim.ClaimName, Destination: vm.MountPath,
				ReadOnly: vm.ReadOnly || v.PersistentVolumeClaim.ReadOnly})
			continue
		}
		dir, ok := dirs[vm.Name]
		if !ok {
			return nil, configErrorf("container %s: volumeMount %q names no volume of the pod", c.Name, vm.Name)
		}
		src := dir
		if subPath != "" {
			if src, err = subPathSource(dir, subPath); err != nil {
				return nil, configErrorf("container %s: volumeMount %s subPath: %v", c.Name, vm.Name, err)
			}
		}
		ro := vm.ReadOnly || projectsObjects(kinds[vm.Name])
		mounts = append(mounts, Mount{Source: src, Destination: vm.MountPath, ReadOnly: ro})
	}
	return mounts, nil
}

// mountSubPath is the mount's subPath, or its subPathExpr with $(VAR)
// expanded from the container's environment (Kubernetes' rule: env only); a
// result that is absolute or has a ".." element is refused.
func mountSubPath(vm corev1.VolumeMount, env map[string]string) (string, error) {
	if vm.SubPathExpr == "" {
		return vm.SubPath, nil
	}
	p := expand(vm.SubPathExpr, env)
	if filepath.IsAbs(p) {
		return "", fmt.Errorf("subPathExpr %q expands to the absolute path %q; it must be relative", vm.SubPathExpr, p)
	}
	for _, e := range strings.Split(p, "/") {
		if e == ".." {
			return "", fmt.Errorf("subPathExpr %q expands to %q, which leaves the volume ('..')", vm.SubPathExpr, p)
		}
	}
	return p, nil
}

// subPathSource is the host path a subPath mount binds: the path resolved
// through symlinks (a projected file is a link into ..data; a container may
// have made a link in an emptyDir) and refused when it then leaves the
// volume. A missing path is made a directory, as the kubelet does.
func subPathSource(dir, subPath string) (string, error) {
	p, err := inside(dir, subPath)
	if err != nil {
		return "", err
	}
	if _, err := os.Lstat(p); os.IsNotExist(err) {
		if err := os.MkdirAll(p, 0o777); err != nil {
			return "", err
		}
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	if real != root && !strings.HasPrefix(real, root+string(filepath.Separator)) {
		return "", fmt.Errorf("path %q resolves to %s, outside the volume", subPath, real)
	}
	return real, nil
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
