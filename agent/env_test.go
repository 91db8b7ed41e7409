package agent

import (
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "1", "B": "two"}
	for in, want := range map[string]string{
		"plain": "plain", "$(A)": "1", "x$(A)y$(B)": "x1ytwo", "$(C)": "$(C)", "$$(A)": "$(A)",
		"$A": "$A", "$(A": "$(A", "cost $": "cost $",
	} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestDefaultPullPolicy(t *testing.T) {
	for img, want := range map[string]corev1.PullPolicy{
		"nginx": corev1.PullAlways, "nginx:latest": corev1.PullAlways, "localhost:5000/app": corev1.PullAlways,
		"localhost:5000/app:v1": corev1.PullIfNotPresent, "app@sha256:abc": corev1.PullIfNotPresent,
	} {
		if got := defaultPullPolicy(img); got != want {
			t.Errorf("defaultPullPolicy(%q) = %s, want %s", img, got, want)
		}
	}
}

func TestWriteProjection(t *testing.T) {
	dir := t.TempDir()
	data := map[string][]byte{"a": []byte("A"), "b": []byte("B")}
	mode := int32(0o400)
	if err := writeProjection(dir, "v", data, nil, &mode); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "a")); err != nil || fi.Mode().Perm() != 0o400 {
		t.Errorf("a: %v %v, want mode 0400", fi, err)
	}
	// Items select and rename keys; files of keys no longer projected go.
	items := []corev1.KeyToPath{{Key: "b", Path: "sub/bee"}}
	if err := writeProjection(dir, "v", data, items, nil); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "sub", "bee")); string(b) != "B" {
		t.Errorf("sub/bee = %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "a")); !os.IsNotExist(err) {
		t.Errorf("a should be gone, stat: %v", err)
	}
	for _, bad := range []string{"../x", "/etc/passwd", ""} {
		if err := writeProjection(dir, "v", data, []corev1.KeyToPath{{Key: "a", Path: bad}}, nil); err == nil {
			t.Errorf("path %q: want an error", bad)
		}
	}
	if err := writeProjection(dir, "v", data, []corev1.KeyToPath{{Key: "zzz", Path: "z"}}, nil); err == nil {
		t.Error("missing key: want an error")
	}
}
