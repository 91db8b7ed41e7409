package agent

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Secret volumes are tmpfs mounts with files 0400 unless the pod says
// otherwise, unmounted and removed with the pod. Real mounts: needs root.
func TestSecretVolumesOnTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounts a tmpfs: needs root (run `sudo go test`)")
	}
	data := t.TempDir()
	cp := newFakeControlPlane()
	cp.secrets["default/sec"] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec", Namespace: "default"},
		Data: map[string][]byte{"password": []byte("s3cret"), "user": []byte("admin")}}
	cp.configMaps["default/cfg"] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"},
		Data: map[string]string{"a": "b"}}
	p := pod("web", "33333333-aaaa-4000-8000-000000000001", corev1.RestartPolicyAlways, "app")
	m0600, m0440 := int32(0o600), int32(0o440)
	p.Spec.Volumes = []corev1.Volume{
		{Name: "plain", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "sec"}}},
		{Name: "moded", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "sec", DefaultMode: &m0600,
			Items: []corev1.KeyToPath{{Key: "password", Path: "pw"}, {Key: "user", Path: "u", Mode: &m0440}}}}},
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		{Name: "proj", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Items: []corev1.KeyToPath{{Key: "password", Path: "pw"}}}}}}}},
	}
	t.Cleanup(func() { removePodDir(data, string(p.UID)) })
	dirs, err := prepareVolumes(context.Background(), newObjectCache(cp), data, p)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"plain", "moded", "proj"} {
		if ok, err := isTmpfs(dirs[v]); err != nil || !ok {
			t.Errorf("secret volume %s at %s is not a tmpfs (%v)", v, dirs[v], err)
		}
	}
	if ok, _ := isTmpfs(dirs["cfg"]); ok {
		t.Errorf("a configMap volume got a tmpfs")
	}
	for file, want := range map[string]os.FileMode{
		"plain/password": 0o400, "plain/user": 0o400, "moded/pw": 0o600, "moded/u": 0o440, "cfg/a": 0o644,
		"proj/pw": 0o644, "proj/a": 0o644, // a projected volume's default is Kubernetes' 0644
	} {
		fi, err := os.Stat(filepath.Join(podDir(data, string(p.UID)), "volumes", file))
		if err != nil {
			t.Errorf("%s: %v", file, err)
			continue
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s has mode %04o, want %04o", file, fi.Mode().Perm(), want)
		}
	}
	// A second prepare (a container restart) finds the mount and does not stack another.
	if _, err := prepareVolumes(context.Background(), newObjectCache(cp), data, p); err != nil {
		t.Fatal(err)
	}
	if ms, _ := mountsUnder(podDir(data, string(p.UID))); len(ms) != 3 {
		t.Errorf("mounts under the pod after two prepares: %v, want the three secret volumes", ms)
	}
	// A Secret update is written in place, on the same tmpfs.
	cp.secrets["default/sec"].Data["password"] = []byte("rotated")
	changed, err := writeVolume(context.Background(), newObjectCache(cp), p, p.Spec.Volumes[3], dirs["proj"])
	if err != nil || !changed {
		t.Fatalf("update: changed=%v err=%v", changed, err)
	}
	if b, _ := os.ReadFile(filepath.Join(dirs["proj"], "pw")); string(b) != "rotated" {
		t.Errorf("proj/pw = %q after the update", b)
	}
	if ok, _ := isTmpfs(filepath.Join(dirs["proj"], "..data")); !ok {
		t.Errorf("the updated files are not on the tmpfs")
	}
	if err := removePodDir(data, string(p.UID)); err != nil {
		t.Fatal(err)
	}
	if ms, _ := mountsUnder(podDir(data, string(p.UID))); len(ms) != 0 {
		t.Errorf("mounts left after the pod went: %v", ms)
	}
	if _, err := os.Stat(podDir(data, string(p.UID))); !os.IsNotExist(err) {
		t.Errorf("pod directory left: %v", err)
	}
}
