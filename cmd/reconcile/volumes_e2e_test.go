package main

// End to end on real Podman: projected, downwardAPI, configMap and emptyDir
// volumes as a container sees them (content and modes through `podman
// exec … /hello stat|cat|write`, the demo image being FROM scratch), and a
// ConfigMap changed in git reaching the running container's files without
// a restart, while a subPath mount keeps its first content, as in Kubernetes.

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	corev1 "k8s.io/api/core/v1"
)

func volumesConfigMap(value string) string {
	return `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: e2e}
data:
  config: "` + value + `"
  other: not-projected
`
}

const volumesSecret = `apiVersion: v1
kind: Secret
metadata: {name: app-secret, namespace: e2e}
stringData: {username: admin, password: s3cret}
`

func volumesPod(labels string) string {
	return `apiVersion: v1
kind: Pod
metadata:
  name: vols
  namespace: e2e
  labels: {` + labels + `}
  annotations: {note: hello}
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: hello
      image: ` + helloV1 + `
      imagePullPolicy: IfNotPresent
      env: [{name: SUB, value: sub-a}]
      resources: {limits: {cpu: 500m, memory: 64Mi}}
      volumeMounts:
        - {name: all, mountPath: /projected, readOnly: true}
        - {name: info, mountPath: /info}
        - {name: cfg, mountPath: /cfg}
        - {name: cfg, mountPath: /single/app.conf, subPath: app.conf}
        - {name: scratch, mountPath: /scratch}
        - {name: scratch, mountPath: /scratch-sub, subPathExpr: $(SUB)}
        - {name: ro, mountPath: /ro, readOnly: true}
  volumes:
    - name: all
      projected:
        defaultMode: 0440
        sources:
          - secret: {name: app-secret, items: [{key: username, path: my-group/my-username}]}
          - secret: {name: app-secret, items: [{key: password, path: my-group/my-password, mode: 0600}]}
          - configMap: {name: app-config, items: [{key: config, path: my-group/my-config}]}
          - downwardAPI:
              items:
                - {path: labels, fieldRef: {fieldPath: metadata.labels}}
                - {path: cpu_limit, resourceFieldRef: {containerName: hello, resource: limits.cpu, divisor: 1m}}
    - name: info
      downwardAPI:
        items:
          - {path: labels, fieldRef: {fieldPath: metadata.labels}}
          - {path: name, fieldRef: {fieldPath: metadata.name}, mode: 0600}
          - {path: annotations, fieldRef: {fieldPath: metadata.annotations}}
    - name: cfg
      configMap: {name: app-config, items: [{key: config, path: app.conf}], defaultMode: 0640}
    - {name: scratch, emptyDir: {}}
    - {name: ro, emptyDir: {}}
`
}

func TestE2EProjectedAndDownwardVolumes(t *testing.T) {
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace,
		"config.yaml": volumesConfigMap("v1"), "secret.yaml": volumesSecret, "pod.yaml": volumesPod("app: vols, tier: front")})
	// The pod's tmpfs stays mounted when the agent stops (its pods may run
	// on, to be adopted); this test removes it before the data dir goes.
	t.Cleanup(func() {
		c.stop()
		cleanupPodman()
		unmountUnder(t, c.data)
	})
	var id string
	c.eventually(120*time.Second, "pod vols running", func() error {
		p, ok := c.pod("vols")
		if !ok || len(runningPods([]corev1.Pod{p})) != 1 {
			return fmt.Errorf("not running yet")
		}
		id = strings.TrimPrefix(p.Status.ContainerStatuses[0].ContainerID, "podman://")
		return nil
	})
	exec := func(args ...string) (string, error) {
		return podmanCmd(append([]string{"exec", id, "/hello"}, args...)...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := exec(args...)
		if err != nil {
			t.Fatalf("hello %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	mode := func(path string) string { return strings.Fields(must("stat", path))[0] }

	for file, want := range map[string]string{
		"/projected/my-group/my-username": "admin", "/projected/my-group/my-password": "s3cret",
		"/projected/my-group/my-config": "v1", "/projected/cpu_limit": "500",
		"/info/name": "vols", "/cfg/app.conf": "v1", "/single/app.conf": "v1",
	} {
		if got := must("cat", file); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	// The product adds its own annotations (reconcile.dev/commit, …) beside the manifest's.
	if got := must("cat", "/info/annotations"); !strings.Contains(got, "note=\"hello\"\n") {
		t.Errorf("/info/annotations = %q, want a line note=\"hello\"", got)
	}
	for _, file := range []string{"/projected/labels", "/info/labels"} {
		if got, want := must("cat", file), "app=\"vols\"\ntier=\"front\"\n"; got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	for file, want := range map[string]string{
		"/projected/my-group/my-username": "0440", "/projected/my-group/my-password": "0600",
		"/info/name": "0600", "/info/labels": "0644", "/cfg/app.conf": "0640",
	} {
		if got := mode(file); got != want {
			t.Errorf("%s has mode %s, want %s", file, got, want)
		}
	}
	if out, err := exec("cat", "/cfg/other"); err == nil {
		t.Errorf("/cfg/other exists (%q): a key not listed in items must be absent", out)
	}
	// subPathExpr: $(SUB) of the container's env picks the directory.
	must("write", "/scratch-sub/x", "through subPathExpr")
	if got := must("cat", "/scratch/sub-a/x"); got != "through subPathExpr" {
		t.Errorf("/scratch/sub-a/x = %q: subPathExpr did not mount scratch/sub-a", got)
	}
	// readOnly mounts refuse writes; so do the projected kinds, always.
	for _, file := range []string{"/ro/x", "/projected/x", "/cfg/x"} {
		if out, err := exec("write", file, "no"); err == nil || !strings.Contains(err.Error(), "read-only file system") {
			t.Errorf("writing %s: %v %q, want a read-only file system error", file, err, out)
		}
	}
	// The projected volume holds Secret values: it is a tmpfs on the node.
	p, _ := c.pod("vols")
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	if !mountedTmpfs(string(mi), "/pods/"+string(p.UID)+"/volumes/all") {
		t.Errorf("the projected volume with a secret source is not a tmpfs on the node")
	}

	// The ConfigMap and the pod's labels change in git: the files change
	// in the running container (the kubelet's ..data swap), the subPath
	// file does not, and the container is not restarted.
	c.commit("config v2, a new label", map[string]string{"config.yaml": volumesConfigMap("v2"),
		"pod.yaml": volumesPod("app: vols, tier: front, release: two")})
	c.eventually(180*time.Second, "the new ConfigMap value and labels in the running container", func() error {
		for file, want := range map[string]string{"/cfg/app.conf": "v2", "/projected/my-group/my-config": "v2",
			"/info/labels": "app=\"vols\"\nrelease=\"two\"\ntier=\"front\"\n"} {
			out, err := exec("cat", file)
			if err != nil {
				return err
			}
			if out != want {
				return fmt.Errorf("%s = %q, want %q", file, out, want)
			}
		}
		return nil
	})
	if got := must("cat", "/single/app.conf"); got != "v1" {
		t.Errorf("the subPath mount /single/app.conf = %q, want v1 (subPath mounts are not updated, as in Kubernetes)", got)
	}
	p, _ = c.pod("vols")
	if s := p.Status.ContainerStatuses[0]; s.RestartCount != 0 || strings.TrimPrefix(s.ContainerID, "podman://") != id {
		t.Errorf("the container was restarted (restartCount %d, id %s, was %s): an update must not restart it", s.RestartCount, s.ContainerID, id)
	}
}

// unmountUnder detaches every mount below dir (the secret tmpfs volumes).
func unmountUnder(t *testing.T, dir string) {
	mi, _ := os.ReadFile("/proc/self/mountinfo")
	for _, line := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], dir+"/") {
			if err := unix.Unmount(f[4], unix.MNT_DETACH); err != nil {
				t.Logf("unmount %s: %v", f[4], err)
			}
		}
	}
}

// mountedTmpfs says whether mountinfo lists a tmpfs mounted at a path
// ending in suffix (fields: … mountpoint … - fstype source options).
func mountedTmpfs(mountinfo, suffix string) bool {
	for _, line := range strings.Split(mountinfo, "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.HasSuffix(f[4], suffix) {
			continue
		}
		for i, x := range f {
			if x == "-" && i+1 < len(f) && f[i+1] == "tmpfs" {
				return true
			}
		}
	}
	return false
}
