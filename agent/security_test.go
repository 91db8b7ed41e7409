package agent

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"

	"github.com/containers/podman/v5/pkg/specgen"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

func securityPod(psc *corev1.PodSecurityContext, csc *corev1.SecurityContext) (*corev1.Pod, *corev1.Container) {
	pod := &corev1.Pod{}
	pod.Name, pod.Namespace, pod.UID = "web", "prod", "u-1"
	pod.Spec.SecurityContext = psc
	pod.Spec.Containers = []corev1.Container{{Name: "app", Image: "img:v1", SecurityContext: csc}}
	return pod, &pod.Spec.Containers[0]
}

// TestContainerSecurity: a securityContext (pod and container) → what Podman
// is given, field by field.
func TestContainerSecurity(t *testing.T) {
	defaults := SecurityDefaults{SeccompDir: "/data/seccomp"}
	strict := corev1.SupplementalGroupsPolicyStrict
	unmasked := corev1.UnmaskedProcMount
	onMismatch := corev1.FSGroupChangeOnRootMismatch
	tests := []struct {
		name      string
		psc       *corev1.PodSecurityContext
		csc       *corev1.SecurityContext
		imageUser string
		defaults  *SecurityDefaults
		want      Security
		err       string
	}{
		{name: "nothing set: image user, Podman's capabilities, Kubernetes' Unconfined",
			want: Security{Seccomp: "unconfined"}},
		{name: "--seccomp-default makes RuntimeDefault the default",
			defaults: &SecurityDefaults{SeccompDir: "/data/seccomp", RuntimeDefaultSeccomp: true},
			want:     Security{Seccomp: ""}},
		{name: "pod user and group",
			psc:  &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000)},
			want: Security{User: "1000:3000", Seccomp: "unconfined"}},
		{name: "container user overrides the pod's, pod group kept",
			psc:  &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000)},
			csc:  &corev1.SecurityContext{RunAsUser: ptr.To[int64](2000)},
			want: Security{User: "2000:3000", Seccomp: "unconfined"}},
		{name: "user alone: Podman picks the passwd group and /etc/group memberships (Merge)",
			psc:  &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000)},
			want: Security{User: "1000", Seccomp: "unconfined"}},
		{name: "group alone: the image's user with that group",
			csc: &corev1.SecurityContext{RunAsGroup: ptr.To[int64](50)}, imageUser: "app:app",
			want: Security{User: "app:50", Seccomp: "unconfined"}},
		{name: "group alone on an image without USER: root with that group",
			csc:  &corev1.SecurityContext{RunAsGroup: ptr.To[int64](50)},
			want: Security{User: "0:50", Seccomp: "unconfined"}},
		{name: "supplementalGroups then fsGroup, no duplicates",
			psc: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), RunAsGroup: ptr.To[int64](3000),
				SupplementalGroups: []int64{4000, 2000}, FSGroup: ptr.To[int64](2000), FSGroupChangePolicy: &onMismatch, SupplementalGroupsPolicy: &strict},
			want: Security{User: "1000:3000", Groups: []string{"4000", "2000"}, Seccomp: "unconfined"}},
		{name: "Strict without a group cannot be honoured by Podman",
			psc: &corev1.PodSecurityContext{RunAsUser: ptr.To[int64](1000), SupplementalGroupsPolicy: &strict},
			err: "supplementalGroupsPolicy Strict needs runAsGroup"},
		{name: "capabilities, privileged, read-only root, no_new_privs, Unmasked /proc",
			csc: &corev1.SecurityContext{
				Capabilities:             &corev1.Capabilities{Add: []corev1.Capability{"net_admin"}, Drop: []corev1.Capability{"ALL"}},
				Privileged:               ptr.To(true),
				ReadOnlyRootFilesystem:   ptr.To(true),
				AllowPrivilegeEscalation: ptr.To(false),
				ProcMount:                &unmasked,
			},
			want: Security{CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"}, Privileged: true, ReadOnlyRoot: true,
				NoNewPrivileges: true, Unmask: []string{"ALL"}, Seccomp: "unconfined"}},
		{name: "allowPrivilegeEscalation true or unset leaves no_new_privs off",
			csc:  &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(false), Privileged: ptr.To(false)},
			want: Security{Seccomp: "unconfined"}},
		{name: "pod RuntimeDefault",
			psc:  &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			want: Security{Seccomp: ""}},
		{name: "container Unconfined overrides pod RuntimeDefault",
			psc:  &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
			csc:  &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeUnconfined}},
			want: Security{Seccomp: "unconfined"}},
		{name: "Localhost profile below the node's seccomp directory",
			psc:  &corev1.PodSecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("profiles/audit.json")}},
			want: Security{Seccomp: "/data/seccomp/profiles/audit.json"}},
		{name: "a Localhost profile may not leave the directory",
			csc: &corev1.SecurityContext{SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeLocalhost, LocalhostProfile: ptr.To("../../etc/x.json")}},
			err: "leaves the volume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, c := securityPod(tt.psc, tt.csc)
			d := defaults
			if tt.defaults != nil {
				d = *tt.defaults
			}
			got, err := containerSecurity(pod, c, tt.imageUser, d)
			if tt.err != "" {
				var cfgErr *configError
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &cfgErr) {
					t.Fatalf("err %v, want a configuration error containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

// TestSecuritySpec: what Security puts into Podman's spec generator.
func TestSecuritySpec(t *testing.T) {
	tests := []struct {
		name string
		sec  Security
		want specgen.SpecGenerator
	}{
		{name: "defaults: only seccomp is decided", sec: Security{Seccomp: "unconfined"},
			want: func() (s specgen.SpecGenerator) { s.SeccompProfilePath = "unconfined"; return }()},
		{name: "every field",
			sec: Security{User: "1000:3000", Groups: []string{"4000", "2000"}, CapAdd: []string{"NET_ADMIN"}, CapDrop: []string{"ALL"},
				Privileged: true, ReadOnlyRoot: true, NoNewPrivileges: true, Seccomp: "/data/seccomp/a.json", Unmask: []string{"ALL"}},
			want: func() (s specgen.SpecGenerator) {
				s.User, s.Groups, s.CapAdd, s.CapDrop = "1000:3000", []string{"4000", "2000"}, []string{"NET_ADMIN"}, []string{"ALL"}
				s.Privileged, s.ReadOnlyFilesystem, s.ReadWriteTmpfs, s.NoNewPrivileges = ptr.To(true), ptr.To(true), ptr.To(false), ptr.To(true)
				s.SeccompProfilePath, s.Unmask = "/data/seccomp/a.json", []string{"ALL"}
				return
			}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got specgen.SpecGenerator
			securitySpec(&got, tt.sec)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got.ContainerSecurityConfig, tt.want.ContainerSecurityConfig)
			}
		})
	}
}

// TestVerifyRunAsNonRoot: spec and image user → the kubelet's verdict and words.
func TestVerifyRunAsNonRoot(t *testing.T) {
	where := `(pod: "web_prod(u-1)", container: app)`
	tests := []struct {
		name      string
		psc       *corev1.PodSecurityContext
		csc       *corev1.SecurityContext
		imageUser string
		want      string // "" = may start
	}{
		{name: "not asked", imageUser: ""},
		{name: "runAsNonRoot false", psc: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(false)}},
		{name: "image without USER runs as root", psc: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
			want: "container has runAsNonRoot and image will run as root " + where},
		{name: "image USER 0", csc: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, imageUser: "0:0",
			want: "container has runAsNonRoot and image will run as root " + where},
		{name: "image USER by name cannot be verified", csc: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, imageUser: "root",
			want: "container has runAsNonRoot and image has non-numeric user (root), cannot verify user is non-root " + where},
		{name: "image USER numeric non-root", csc: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, imageUser: "65532:65532"},
		{name: "image USER out of range", csc: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true)}, imageUser: "-1",
			want: "container has runAsNonRoot and image has an invalid user id (-1). (Must be 1-(2147483647)): must be between 0 and 2147483647, inclusive " + where},
		{name: "runAsUser 0 breaks the policy", psc: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](0)},
			want: "container's runAsUser breaks non-root policy " + where},
		{name: "runAsUser non-zero wins over a root image", psc: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
			csc: &corev1.SecurityContext{RunAsUser: ptr.To[int64](1000)}},
		{name: "container runAsNonRoot false overrides the pod's true", psc: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)},
			csc: &corev1.SecurityContext{RunAsNonRoot: ptr.To(false)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, c := securityPod(tt.psc, tt.csc)
			err := verifyRunAsNonRoot(pod, c, tt.imageUser)
			got := ""
			if err != nil {
				got = err.Error()
				var cfgErr *configError
				if !errors.As(err, &cfgErr) {
					t.Errorf("%v is not a configuration error (CreateContainerConfigError)", err)
				}
			}
			if got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
			if need := needsImageUser(pod, c); tt.imageUser != "" && !need {
				t.Errorf("needsImageUser false, but the verdict depends on the image's user")
			}
		})
	}
}

// TestApplyFSGroup: real files; an emptyDir becomes group-writable and
// setgid, a configMap volume group-readable, a hostPath is left alone.
func TestApplyFSGroup(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("chown to another group needs root")
	}
	base := t.TempDir()
	dirs := map[string]string{}
	for _, n := range []string{"scratch", "config", "host"} {
		dirs[n] = filepath.Join(base, n)
		os.MkdirAll(filepath.Join(dirs[n], "sub"), 0o755)
		os.WriteFile(filepath.Join(dirs[n], "sub", "f"), []byte("x"), 0o600)
	}
	pod, _ := securityPod(&corev1.PodSecurityContext{FSGroup: ptr.To[int64](2345)}, nil)
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		{Name: "config", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{}}},
		{Name: "host", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: dirs["host"]}}},
	}
	if err := applyFSGroup(pod, dirs); err != nil {
		t.Fatal(err)
	}
	check := func(path string, gid uint32, mode os.FileMode) {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if st := fi.Sys().(*syscall.Stat_t); st.Gid != gid || fi.Mode()&(os.ModePerm|os.ModeSetgid) != mode {
			t.Errorf("%s: gid %d mode %v, want gid %d mode %v", path, st.Gid, fi.Mode(), gid, mode)
		}
	}
	check(dirs["scratch"], 2345, 0o775|os.ModeSetgid)
	check(filepath.Join(dirs["scratch"], "sub", "f"), 2345, 0o660)
	check(filepath.Join(dirs["config"], "sub"), 2345, 0o755|os.ModeSetgid)
	check(filepath.Join(dirs["config"], "sub", "f"), 2345, 0o640)
	check(filepath.Join(dirs["host"], "sub", "f"), 0, 0o600)
	if needsOwnershipChange(dirs["scratch"], 2345, false) || !needsOwnershipChange(dirs["host"], 2345, false) {
		t.Errorf("OnRootMismatch: a volume just given to the group needs no change, an untouched one does")
	}
}

// FuzzVerifyRunAsNonRoot: an image's USER is outside input; whatever it is,
// the check does not panic, and it lets a container start under
// runAsNonRoot only when that user is a number other than 0.
func FuzzVerifyRunAsNonRoot(f *testing.F) {
	for _, seed := range []string{"", "0", "0:0", "root", "1000", "1000:1000", "app:app", ":1", "-1", "99999999999999999999"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, user string) {
		pod, c := securityPod(&corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true)}, nil)
		err := verifyRunAsNonRoot(pod, c, user)
		uid, _ := imageUserID(user)
		if err == nil && (uid == nil || *uid <= 0 || *uid > math.MaxInt32) {
			t.Errorf("image user %q: allowed to start under runAsNonRoot", user)
		}
		if _, err := containerSecurity(pod, c, user, SecurityDefaults{SeccompDir: "/s"}); err != nil {
			t.Errorf("image user %q: %v", user, err)
		}
	})
}
