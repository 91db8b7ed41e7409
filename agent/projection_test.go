package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func files(kv ...string) payload {
	p := payload{}
	for i := 0; i+2 < len(kv)+1; i += 3 {
		var mode os.FileMode
		fmt.Sscanf(kv[i+1], "%o", &mode)
		p[kv[i]] = projectedFile{[]byte(kv[i+2]), mode}
	}
	return p
}

func links(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		ok := !strings.HasPrefix(n, "!")
		m[strings.TrimPrefix(n, "!")] = ok
	}
	return m
}

// The decision of an update: write a new payload directory only when a
// file's content, mode or the set of files differs; link new top-level
// names (and replace a wrong link or an old plain file); unlink names gone.
func TestPlanProjection(t *testing.T) {
	cases := []struct {
		name    string
		desired payload
		have    observedProjection
		want    projectionPlan
		err     string
	}{
		{"fresh volume", files("a", "644", "A", "d/b", "600", "B"), observedProjection{Links: links()},
			projectionPlan{Write: true, AddLinks: []string{"a", "d"}}, ""},
		{"up to date", files("a", "644", "A", "d/b", "600", "B"),
			observedProjection{Written: files("a", "644", "A", "d/b", "600", "B"), Links: links("a", "d")},
			projectionPlan{}, ""},
		{"content changed", files("a", "644", "A2"),
			observedProjection{Written: files("a", "644", "A"), Links: links("a")},
			projectionPlan{Write: true}, ""},
		{"mode changed", files("a", "400", "A"),
			observedProjection{Written: files("a", "644", "A"), Links: links("a")},
			projectionPlan{Write: true}, ""},
		{"key removed", files("a", "644", "A"),
			observedProjection{Written: files("a", "644", "A", "b", "644", "B"), Links: links("a", "b")},
			projectionPlan{Write: true, RemoveLinks: []string{"b"}}, ""},
		{"key added", files("a", "644", "A", "c", "644", "C"),
			observedProjection{Written: files("a", "644", "A"), Links: links("a")},
			projectionPlan{Write: true, AddLinks: []string{"c"}}, ""},
		{"layout before links: plain files become links", files("a", "644", "A"),
			observedProjection{Links: links("!a")},
			projectionPlan{Write: true, AddLinks: []string{"a"}}, ""},
		{"empty (optional object missing)", payload{},
			observedProjection{Written: files("a", "644", "A"), Links: links("a")},
			projectionPlan{Write: true, RemoveLinks: []string{"a"}}, ""},
		{"absolute path", files("/etc/passwd", "644", "x"), observedProjection{}, projectionPlan{}, "must be relative"},
		{"dot-dot element", files("a/../../x", "644", "x"), observedProjection{}, projectionPlan{}, "must not contain '..'"},
		{"reserved ..data", files("..data/x", "644", "x"), observedProjection{}, projectionPlan{}, "must not start with '..'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := planProjection(tc.desired, tc.have)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("plan = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// The atomic writer on a real directory: the kubelet's layout, an update
// seen through the links, a subPath source that keeps its old content, and
// a directory of the layout before links taken over.
func TestAtomicWriterOnDisk(t *testing.T) {
	dir := t.TempDir()
	w := atomicWriter{}
	changed, err := writeProjection(w, dir, files("a", "644", "A1", "grp/b", "400", "B1"))
	if err != nil || !changed {
		t.Fatalf("first write: changed=%v err=%v", changed, err)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "a")); target != "..data/a" {
		t.Errorf("a links to %q, want ..data/a", target)
	}
	if target, _ := os.Readlink(filepath.Join(dir, "..data")); !strings.HasPrefix(target, "..20") {
		t.Errorf("..data links to %q, want a timestamped directory", target)
	}
	fi, err := os.Stat(filepath.Join(dir, "grp", "b"))
	if err != nil || fi.Mode().Perm() != 0o400 {
		t.Errorf("grp/b: %v %v, want mode 0400", fi, err)
	}
	if changed, err := writeProjection(w, dir, files("a", "644", "A1", "grp/b", "400", "B1")); err != nil || changed {
		t.Errorf("same payload again: changed=%v err=%v, want no write", changed, err)
	}
	sub, err := subPathSource(dir, "a") // what a subPath mount binds
	if err != nil {
		t.Fatal(err)
	}
	subFile, err := os.Open(sub)
	if err != nil {
		t.Fatal(err)
	}
	defer subFile.Close()

	if _, err := writeProjection(w, dir, files("a", "644", "A2")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "a")); string(b) != "A2" {
		t.Errorf("a = %q after the update, want A2", b)
	}
	if _, err := os.Lstat(filepath.Join(dir, "grp")); !os.IsNotExist(err) {
		t.Errorf("grp should be gone: %v", err)
	}
	if b := make([]byte, 2); true {
		subFile.Read(b)
		if string(b) != "A1" {
			t.Errorf("the subPath file reads %q, want the content it was mounted with (A1)", b)
		}
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "..20") {
			names = append(names, e.Name())
		}
	}
	if want := []string{"..data", "a"}; !slices.Equal(names, want) || len(entries) != 3 {
		t.Errorf("directory holds %v (%d entries), want %v and one payload directory", names, len(entries), want)
	}

	// A volume written before links (plain files) is taken over.
	old := t.TempDir()
	os.WriteFile(filepath.Join(old, "a"), []byte("old"), 0o644)
	os.MkdirAll(filepath.Join(old, "gone"), 0o755)
	if _, err := writeProjection(w, old, files("a", "644", "new")); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(old, "a")); target != "..data/a" {
		t.Errorf("old plain file a not replaced by a link (%q)", target)
	}
	if _, err := os.Stat(filepath.Join(old, "gone")); !os.IsNotExist(err) {
		t.Errorf("a directory of no key left behind: %v", err)
	}
}

func TestSubPathSourceStaysInside(t *testing.T) {
	dir := t.TempDir()
	os.Symlink("/etc", filepath.Join(dir, "escape"))
	if _, err := subPathSource(dir, "escape"); err == nil || !strings.Contains(err.Error(), "outside the volume") {
		t.Errorf("a link out of the volume: err = %v, want refused", err)
	}
	p, err := subPathSource(dir, "made/here")
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(p); err != nil || !fi.IsDir() {
		t.Errorf("a missing subPath is made a directory: %v", err)
	}
}

func TestMountSubPath(t *testing.T) {
	env := map[string]string{"POD": "web-0", "UP": "..", "ABS": "/etc"}
	cases := []struct {
		mount corev1.VolumeMount
		want  string
		err   string
	}{
		{corev1.VolumeMount{SubPath: "a/b"}, "a/b", ""},
		{corev1.VolumeMount{SubPathExpr: "logs/$(POD)"}, "logs/web-0", ""},
		{corev1.VolumeMount{SubPathExpr: "$(MISSING)"}, "$(MISSING)", ""}, // Kubernetes leaves an unknown reference as is
		{corev1.VolumeMount{SubPathExpr: "$(UP)/x"}, "", "leaves the volume"},
		{corev1.VolumeMount{SubPathExpr: "$(ABS)"}, "", "absolute"},
	}
	for _, tc := range cases {
		got, err := mountSubPath(tc.mount, env)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%+v: err = %v, want %q", tc.mount, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%+v: %q, %v; want %q", tc.mount, got, err, tc.want)
		}
	}
}

func render(p payload) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(p)) {
		fmt.Fprintf(&b, "%s %04o %q\n", k, p[k].Mode, p[k].Data)
	}
	return b.String()
}

// The files of each volume kind: items select keys (a key not listed is
// absent), modes, optional objects and keys, projected sources merged.
func TestVolumePayload(t *testing.T) {
	cp := newFakeControlPlane()
	cp.configMaps["default/cfg"] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"},
		Data: map[string]string{"config": "c", "other": "o"}}
	cp.secrets["default/sec"] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec", Namespace: "default"},
		Data: map[string][]byte{"username": []byte("admin"), "password": []byte("pw")}}
	p := pod("web", "u1", corev1.RestartPolicyAlways, "app")
	p.Labels = map[string]string{"tier": "front", "app": "web"}
	p.Spec.Containers[0].Resources.Limits = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m")}
	i32 := func(v int32) *int32 { return &v }
	yes := true
	cases := []struct {
		name string
		vol  corev1.VolumeSource
		want string
		err  string
	}{
		{"configMap all keys", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, DefaultMode: i32(0o640)}},
			"config 0640 \"c\"\nother 0640 \"o\"\n", ""},
		{"configMap items", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
			Items: []corev1.KeyToPath{{Key: "config", Path: "etc/app.conf", Mode: i32(0o600)}}}},
			"etc/app.conf 0600 \"c\"\n", ""},
		{"configMap missing key", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
			Items: []corev1.KeyToPath{{Key: "nope", Path: "x"}}}}, "", `key "nope" not found in ConfigMap default/cfg`},
		{"configMap missing key, optional", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"},
			Items: []corev1.KeyToPath{{Key: "nope", Path: "x"}, {Key: "other", Path: "o"}}, Optional: &yes}}, "o 0644 \"o\"\n", ""},
		{"configMap missing, optional", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "none"}, Optional: &yes}}, "", ""},
		{"configMap missing", corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "none"}}}, "", "none"},
		{"secret default 0400", corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "sec", Items: []corev1.KeyToPath{{Key: "username", Path: "u"}}}},
			"u 0400 \"admin\"\n", ""},
		{"downwardAPI", corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{DefaultMode: i32(0o644), Items: []corev1.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}},
			{Path: "name", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}, Mode: i32(0o600)},
			{Path: "cpu", ResourceFieldRef: &corev1.ResourceFieldSelector{ContainerName: "app", Resource: "limits.cpu", Divisor: resource.MustParse("1m")}}}}},
			"cpu 0644 \"1500\"\nlabels 0644 \"app=\\\"web\\\"\\ntier=\\\"front\\\"\\n\"\nname 0600 \"web\"\n", ""},
		{"projected", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{DefaultMode: i32(0o444), Sources: []corev1.VolumeProjection{
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Items: []corev1.KeyToPath{{Key: "username", Path: "my-group/my-username"}}}},
			{Secret: &corev1.SecretProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Items: []corev1.KeyToPath{{Key: "password", Path: "my-group/my-password", Mode: i32(0o644)}}}},
			{DownwardAPI: &corev1.DownwardAPIProjection{Items: []corev1.DownwardAPIVolumeFile{{Path: "ns", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}}}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "config", Path: "my-group/my-config"}}}},
			{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Optional: &yes}},
		}}},
			"my-group/my-config 0444 \"c\"\nmy-group/my-password 0644 \"pw\"\nmy-group/my-username 0444 \"admin\"\nns 0444 \"default\"\n", ""},
		{"projected service account token (an old store)", corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
			{ServiceAccountToken: &corev1.ServiceAccountTokenProjection{Path: "token"}}}}}, "", "only configMap, secret and downwardAPI sources"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			oc := newObjectCache(cp)
			got, err := volumePayload(context.Background(), oc, p, corev1.Volume{Name: "v", VolumeSource: tc.vol})
			if tc.err != "" {
				var cfg *configError
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				if !errors.As(err, &cfg) {
					t.Errorf("err %v is not a configError (CreateContainerConfigError)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r := render(got); r != tc.want {
				t.Errorf("files:\n%s\nwant:\n%s", r, tc.want)
			}
		})
	}
}

// Whatever a manifest says, an accepted subPathExpr result and an accepted
// file path stay inside the volume.
func FuzzVolumePaths(f *testing.F) {
	for _, s := range []string{"a/b", "$(POD)/x", "../x", "/etc", "$(UP)", "a/../../b", "..data/x", "", "a//b", "./a"} {
		f.Add(s)
	}
	env := map[string]string{"POD": "web-0", "UP": ".."}
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := mountSubPath(corev1.VolumeMount{SubPathExpr: s}, env); err == nil && s != "" {
			if filepath.IsAbs(p) || slices.Contains(strings.Split(p, "/"), "..") {
				t.Fatalf("subPathExpr %q accepted as %q", s, p)
			}
		}
		if _, err := planProjection(payload{s: {}}, observedProjection{}); err == nil {
			dir := "/vol"
			if full := filepath.Join(dir, s); !strings.HasPrefix(full, dir+"/") || strings.HasPrefix(s, "..") {
				t.Fatalf("file path %q accepted, lands at %s", s, full)
			}
		}
	})
}
