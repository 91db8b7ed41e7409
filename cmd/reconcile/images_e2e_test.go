package main

// End to end: imagePullSecrets against a private registry that the test
// starts (docker-registry with htpasswd auth on loopback).

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

func pullSecretManifest(name, registry, user, password string) string {
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata:
  name: %s
  namespace: e2e
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths": {"%s": {"auth": "%s"}}}'
`, name, registry, auth)
}

func privatePod(name, image, secret string) string {
	secrets := ""
	if secret != "" {
		secrets = "  imagePullSecrets: [{name: " + secret + "}]\n"
	}
	return fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata:
  name: %s
  namespace: e2e
spec:
%s  containers:
  - name: app
    image: %s
    imagePullPolicy: Always
`, name, secrets, image)
}

func TestE2EImagePullSecrets(t *testing.T) {
	needE2E(t)
	const user, password = "puller", "s3cret-pull"
	reg := startRegistry(t, user, password)
	image := reg + "/hello:v1"
	if _, err := podmanCmd("push", "--tls-verify=false", "--creds", user+":"+password, "localhost/reconcile-hello:v1", image); err != nil {
		t.Fatal(err)
	}
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace,
		"right.yaml": pullSecretManifest("right", reg, user, password),
		"wrong.yaml": pullSecretManifest("wrong", reg, user, "not-the-password")})

	// removeImage makes the next pull a real one (only the tag goes: the
	// demo image keeps its own name and layers).
	removeImage := func() {
		podmanCmd("rmi", "-f", image)
		if out, _ := podmanCmd("images", "--format", "{{.Repository}}:{{.Tag}}"); strings.Contains(out, image) {
			t.Fatalf("%s is still in local storage:\n%s", image, out)
		}
	}
	for _, tc := range []struct{ name, secret string }{{"no-secret", ""}, {"wrong-password", "wrong"}} {
		removeImage()
		c.commit("a private image "+tc.name, map[string]string{"pod-" + tc.name + ".yaml": privatePod(tc.name, image, tc.secret)})
		var last string
		c.eventually(3*time.Minute, tc.name+": the pull fails with the registry's 401 and backs off", func() error {
			p, ok := c.pod(tc.name)
			if !ok || len(p.Status.ContainerStatuses) == 0 {
				return fmt.Errorf("no status yet")
			}
			w := p.Status.ContainerStatuses[0].State.Waiting
			if w == nil {
				return fmt.Errorf("not waiting: %+v", p.Status.ContainerStatuses[0].State)
			}
			last = w.Reason + ": " + w.Message
			if w.Reason != "ImagePullBackOff" {
				return fmt.Errorf("waiting %s", last)
			}
			return nil
		})
		t.Logf("%s: %s", tc.name, last)
		if !strings.Contains(last, "authentication required") && !strings.Contains(last, "unauthorized") {
			t.Errorf("%s: the status does not carry the registry's 401: %s", tc.name, last)
		}
		evs := c.events(tc.name)
		for _, want := range []struct{ reason, msg string }{
			{"Pulling", fmt.Sprintf("Pulling image %q", image)},
			{"Failed", fmt.Sprintf("Failed to pull image %q: ", image)},
			{"BackOff", fmt.Sprintf("Back-off pulling image %q", image)},
		} {
			if !hasEvent(evs, want.reason, want.msg) {
				t.Errorf("%s: no %s event %q in %s", tc.name, want.reason, want.msg, eventList(evs))
			}
		}
		if out, _ := podmanCmd("images", "--format", "{{.Repository}}:{{.Tag}}"); strings.Contains(out, image) {
			t.Errorf("%s: the image was pulled without the right credentials", tc.name)
		}
	}

	removeImage()
	c.commit("a private image with its pull secret", map[string]string{"pod-right.yaml": privatePod("with-secret", image, "right")})
	c.eventually(3*time.Minute, "the pod with the right pull secret runs", func() error {
		p, ok := c.pod("with-secret")
		if !ok || len(runningPods([]corev1.Pod{p})) != 1 {
			return fmt.Errorf("not running yet: %+v", p.Status.ContainerStatuses)
		}
		return nil
	})
	evs := c.events("with-secret")
	if !hasEvent(evs, "Pulled", fmt.Sprintf("Successfully pulled image %q in ", image)) {
		t.Errorf("no Pulled event: %s", eventList(evs))
	}
}

func eventList(evs []corev1.Event) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "\n  %s %s: %s", e.Type, e.Reason, e.Message)
	}
	return b.String()
}
