package agent

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// A private image: without its pull secret the pull fails with the
// registry's answer (ErrImagePull, then ImagePullBackOff between attempts,
// with Pulling, Failed and BackOff events); a malformed secret is reported
// and skipped; with the right secret the container runs.
func TestAgentPullSecrets(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	const image = "registry.test:5000/private/app:v1"
	rt.images[image], rt.registryOnly[image] = true, true
	rt.registryAuth[image] = RegistryAuth{Username: "u", Password: "right"}
	cp.secrets["default/bad"] = &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "bad"},
		Type: corev1.SecretTypeOpaque, Data: map[string][]byte{"x": []byte("y")}}
	cp.secrets["default/wrong"] = pullSecretFor("wrong", "registry.test:5000", "u", "nope")
	cp.secrets["default/right"] = pullSecretFor("right", "registry.test:5000", "u", "right")

	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	p.Spec.Containers[0].Image = image
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullAlways
	p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "bad"}, {Name: "wrong"}}
	cp.putPod(p)
	syncOnce(t, a)
	cs := cp.pod("default", "web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "ErrImagePull" || !strings.Contains(cs.State.Waiting.Message, "unauthorized") ||
		!strings.Contains(cs.State.Waiting.Message, `Failed to pull image "`+image+`"`) {
		t.Fatalf("after the first pull: %+v", cs.State)
	}
	clock.Add(11 * time.Second) // the first retry, which fails again
	syncOnce(t, a)
	clock.Add(time.Second) // now backing off
	syncOnce(t, a)
	cs = cp.pod("default", "web").Status.ContainerStatuses[0]
	if cs.State.Waiting == nil || cs.State.Waiting.Reason != "ImagePullBackOff" || !strings.Contains(cs.State.Waiting.Message, "Back-off pulling image") {
		t.Fatalf("after the second pull: %+v", cs.State)
	}
	evs := strings.Join(cp.eventsFor("web"), "\n")
	for _, want := range []string{
		`Pulling: Pulling image "` + image + `" (2)`,
		`Failed: Failed to pull image "` + image + `": initializing source docker://` + image + `: reading manifest v1: unauthorized: authentication required (2)`,
		`BackOff: Back-off pulling image "` + image + `" (1)`,
		`Failed: Error: ErrImagePull (2)`,
		`Failed: Error: ImagePullBackOff (1)`,
		`FailedToRetrieveImagePullSecret: Unable to retrieve some image pull secrets (secret default/bad has type "Opaque"`,
	} {
		if !strings.Contains(evs, want) {
			t.Errorf("events lack %q:\n%s", want, evs)
		}
	}

	// The right secret: a changed spec is tried at once and runs.
	p = cp.pod("default", "web")
	p.Spec.ImagePullSecrets = []corev1.LocalObjectReference{{Name: "wrong"}, {Name: "right"}}
	p.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "X", Value: "1"}}
	cp.putPod(p)
	syncOnce(t, a)
	cs = cp.pod("default", "web").Status.ContainerStatuses[0]
	if cs.State.Running == nil {
		t.Fatalf("with the right secret: %+v", cs.State)
	}
	if evs := strings.Join(cp.eventsFor("web"), "\n"); !strings.Contains(evs, `Pulled: Successfully pulled image "`+image+`" in 0s (1)`) {
		t.Errorf("no Pulled event:\n%s", evs)
	}
}

// IfNotPresent with the image present pulls nothing and says so.
func TestAgentImageAlreadyPresent(t *testing.T) {
	clock := testkit.NewClock(t0)
	cp, rt := newFakeControlPlane(), newFakeRuntime(clock.Now)
	a := newLoopAgent(t, cp, rt, clock)
	p := pod("web", "u-web", corev1.RestartPolicyAlways, "app")
	p.Spec.Containers[0].ImagePullPolicy = corev1.PullIfNotPresent
	cp.putPod(p)
	syncOnce(t, a)
	if len(rt.pulls) != 0 {
		t.Errorf("pulled %v", rt.pulls)
	}
	if evs := strings.Join(cp.eventsFor("web"), "\n"); !strings.Contains(evs, `Pulled: Container image "demo:v1" already present on machine (1)`) {
		t.Errorf("events:\n%s", evs)
	}
}

func pullSecretFor(name, registry, user, pass string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: name}, Type: corev1.SecretTypeDockerConfigJson,
		Data: map[string][]byte{".dockerconfigjson": []byte(`{"auths":{"` + registry + `":{"username":"` + user + `","password":"` + pass + `"}}}`)}}
}
