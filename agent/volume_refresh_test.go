package agent

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// A running pod's configMap and downwardAPI files follow the ConfigMap and
// the pod's labels, every VolumeSyncInterval, without a container restart;
// a ConfigMap that disappears is a FailedMount event and the files stay.
func TestVolumesUpdatedInPlace(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	cp.configMaps["default/cfg"] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: map[string]string{"k": "v1"}}
	p := pod("web", "u-vol", corev1.RestartPolicyAlways, "app")
	p.Labels = map[string]string{"app": "web"}
	p.Spec.Volumes = []corev1.Volume{
		{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}},
		{Name: "info", VolumeSource: corev1.VolumeSource{DownwardAPI: &corev1.DownwardAPIVolumeSource{Items: []corev1.DownwardAPIVolumeFile{
			{Path: "labels", FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels"}}}}}},
	}
	cp.putPod(p)
	syncOnce(t, a)
	read := func(vol, file string) string {
		b, _ := os.ReadFile(filepath.Join(volumeDir(a.opts.DataDir, p, vol), file))
		return string(b)
	}
	if got := read("cfg", "k"); got != "v1" {
		t.Fatalf("cfg/k = %q after the start", got)
	}
	id := cp.pod("default", "web").Status.ContainerStatuses[0].ContainerID

	cp.configMaps["default/cfg"].Data["k"] = "v2"
	p2 := cp.pod("default", "web")
	p2.Labels = map[string]string{"app": "web", "tier": "front"}
	cp.putPod(p2)
	clock.Add(a.opts.VolumeSyncInterval / 2)
	syncOnce(t, a)
	if got := read("cfg", "k"); got != "v1" {
		t.Errorf("cfg/k = %q before the volume sync interval passed, want still v1", got)
	}
	clock.Add(a.opts.VolumeSyncInterval)
	syncOnce(t, a)
	if got := read("cfg", "k"); got != "v2" {
		t.Errorf("cfg/k = %q after the interval, want v2", got)
	}
	if got, want := read("info", "labels"), "app=\"web\"\ntier=\"front\"\n"; got != want {
		t.Errorf("info/labels = %q, want %q", got, want)
	}
	cs := cp.pod("default", "web").Status.ContainerStatuses[0]
	if cs.ContainerID != id || cs.RestartCount != 0 {
		t.Errorf("the container was restarted (%s, restarts %d)", cs.ContainerID, cs.RestartCount)
	}

	delete(cp.configMaps, "default/cfg")
	clock.Add(a.opts.VolumeSyncInterval + time.Second)
	syncOnce(t, a)
	if got := read("cfg", "k"); got != "v2" {
		t.Errorf("cfg/k = %q after the ConfigMap went, want the last files kept", got)
	}
	if evs := strings.Join(cp.eventsFor("web"), "\n"); !strings.Contains(evs, ReasonFailedMount+`: MountVolume.SetUp failed for volume "cfg"`) {
		t.Errorf("no %s event for a ConfigMap that went; events:\n%s", ReasonFailedMount, evs)
	}
}

// A listed key that the ConfigMap lacks keeps the container waiting with
// CreateContainerConfigError and says which key, in status and events.
func TestMissingVolumeKeyIsAConfigError(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	cp.configMaps["default/cfg"] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: map[string]string{"k": "v1"}}
	p := pod("web", "u-key", corev1.RestartPolicyAlways, "app")
	p.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{Sources: []corev1.VolumeProjection{
		{ConfigMap: &corev1.ConfigMapProjection{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}, Items: []corev1.KeyToPath{{Key: "nope", Path: "x"}}}}}}}}}
	cp.putPod(p)
	syncOnce(t, a)
	cs := cp.pod("default", "web").Status.ContainerStatuses
	if len(cs) != 1 || cs[0].State.Waiting == nil || cs[0].State.Waiting.Reason != "CreateContainerConfigError" ||
		!strings.Contains(cs[0].State.Waiting.Message, `key "nope" not found in ConfigMap default/cfg`) {
		t.Fatalf("status: %+v", cs)
	}
	if evs := strings.Join(cp.eventsFor("web"), "\n"); !strings.Contains(evs, `key "nope" not found`) {
		t.Errorf("no event names the key:\n%s", evs)
	}
}

// Files rewritten by the volume refresh belong to the pod's fsGroup, as
// those written at the container's start do.
func TestRefreshedVolumeFilesKeepTheFSGroup(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("giving files to a group needs root; run the tests as root")
	}
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	cp.configMaps["default/cfg"] = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cfg", Namespace: "default"}, Data: map[string]string{"k": "v1"}}
	p := pod("web", "u-fsg", corev1.RestartPolicyAlways, "app")
	gid := int64(4321)
	p.Spec.SecurityContext = &corev1.PodSecurityContext{FSGroup: &gid}
	p.Spec.Volumes = []corev1.Volume{{Name: "cfg", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cfg"}}}}}
	cp.putPod(p)
	syncOnce(t, a)
	cp.configMaps["default/cfg"].Data["k"] = "v2"
	clock.Add(a.opts.VolumeSyncInterval + time.Second)
	syncOnce(t, a)
	file := filepath.Join(volumeDir(a.opts.DataDir, p, "cfg"), "k")
	b, _ := os.ReadFile(file)
	if string(b) != "v2" {
		t.Fatalf("cfg/k = %q, want the refreshed v2", b)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int64(st.Gid) != gid {
		t.Errorf("refreshed file's group %d, want the fsGroup %d", st.Gid, gid)
	}
}
