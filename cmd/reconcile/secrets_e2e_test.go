package main

// End to end: a Secret encrypted with `reconcile secret encrypt` reaches a
// pod's environment, while its value (a canary) appears in no log line,
// diff, event, API answer or store file of the run.

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const secretCanary = "canary-e2e-4c1f9d"

func secretPod(image string) string {
	return `apiVersion: v1
kind: Pod
metadata:
  name: uses-secret
  namespace: e2e
spec:
  terminationGracePeriodSeconds: 1
  containers:
    - name: app
      image: ` + image + `
      env:
        - name: DB_PASSWORD
          valueFrom:
            secretKeyRef: {name: db, key: password}
`
}

func TestE2EEncryptedSecretReachesThePodAndNothingElse(t *testing.T) {
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace})
	recipientFile := filepath.Join(c.data, "age.recipient")
	c.eventually(10*time.Second, "the controller's recipient file", func() error { _, err := os.Stat(recipientFile); return err })

	manifest, err := runBin("secret", "encrypt", "db", "-n", "e2e", "--recipient-file", recipientFile, "--from-literal", "password="+secretCanary)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(manifest, "password: age:") {
		t.Fatalf("encrypt wrote no age value:\n%s", manifest)
	}
	// What a reviewer sees before the commit: the live diff of the working tree.
	os.WriteFile(filepath.Join(c.repo, "secret.yaml"), []byte(manifest), 0o644)
	os.WriteFile(filepath.Join(c.repo, "pod.yaml"), []byte(secretPod("localhost/reconcile-hello:v1")), 0o644)
	liveDiff, err := c.run("diff", c.repo, "-o", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	head := c.commit("encrypted secret and a pod using it", map[string]string{"secret.yaml": manifest, "pod.yaml": secretPod("localhost/reconcile-hello:v1")})

	// The pod receives the plain value.
	c.eventually(60*time.Second, "the container's environment has the secret", func() error {
		out, err := podmanCmd("ps", "-q", "--filter", "label=reconcile.container=app")
		if err != nil || strings.TrimSpace(out) == "" {
			return fmt.Errorf("no container yet: %v", err)
		}
		env, err := podmanCmd("inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", strings.Fields(out)[0])
		if err != nil {
			return err
		}
		if !strings.Contains(env, "DB_PASSWORD="+secretCanary) {
			return fmt.Errorf("DB_PASSWORD not set from the Secret")
		}
		return nil
	})

	// A second commit changes the value: an update, a diff, events.
	// This time the CLI asks the controller for its recipient (GET /api/v1/recipient).
	manifest2, err := c.run("secret", "encrypt", "db", "-n", "e2e", "--from-literal", "password=2-"+secretCanary)
	if err != nil {
		t.Fatal(err)
	}
	c.commit("rotate the password", map[string]string{"secret.yaml": manifest2})
	c.eventually(30*time.Second, "the rotated Secret stored", func() error {
		out, err := c.run("get", "secret", "db", "-n", "e2e", "-o", "json", "--reveal")
		if err != nil {
			return err
		}
		if !strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("2-"+secretCanary))) {
			return fmt.Errorf("not yet rotated")
		}
		return nil
	})

	// The live diff of what is committed shows no change: the CLI cannot
	// decrypt, so it compares the ciphertexts' hash the controller stored.
	if out, err := c.run("diff", c.repo, "--exit-code"); err != nil {
		t.Fatalf("live diff of the applied commit: %v\n%s", err, out)
	}
	// Everything a person or a client can see without --reveal.
	seen := map[string]string{"live diff": liveDiff, "encrypt output": manifest}
	for name, args := range map[string][]string{
		"get secret yaml":   {"get", "secret", "db", "-n", "e2e", "-o", "yaml"},
		"get secrets json":  {"get", "secrets", "-A", "-o", "json"},
		"get secrets table": {"get", "secrets", "-A"},
		"events":            {"events", "-A", "-o", "json"},
		"describe secret":   {"describe", "secret", "db", "-n", "e2e"},
		"describe pod":      {"describe", "pod", "uses-secret", "-n", "e2e"},
		"status":            {"status"},
	} {
		out, err := c.run(args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[name] = out
	}
	offline, err := runBin("diff", "--repo", c.repo, "--base", head, "--head", "main", "-o", "markdown")
	if err != nil {
		t.Fatal(err)
	}
	seen["offline diff"] = offline
	seen["watch"] = watchFor(t, c, "/api/v1/watch?resourceVersion=0&kind=secrets")
	seen["list API"] = watchFor(t, c, "/api/v1/secrets")
	if !strings.Contains(seen["watch"], `"db"`) {
		t.Fatalf("the watch shows no Secret, so it proves nothing:\n%s", seen["watch"])
	}
	c.stop()
	seen["controller and agent logs"] = c.logs()
	forms := []string{secretCanary, base64.StdEncoding.EncodeToString([]byte(secretCanary)), base64.StdEncoding.EncodeToString([]byte("2-" + secretCanary))}
	for name, out := range seen {
		for _, f := range forms {
			if strings.Contains(out, f) {
				t.Errorf("%s shows the secret value (%q):\n%s", name, f, tail(out, 30))
			}
		}
	}
	filepath.Walk(filepath.Join(c.data, "store"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			b, _ := os.ReadFile(p)
			for _, f := range forms {
				if strings.Contains(string(b), f) {
					t.Errorf("store file %s holds the secret value in plain", p)
				}
			}
		}
		return nil
	})
	// The answer carries the masked value (not an empty Secret).
	if !strings.Contains(seen["get secret yaml"], base64.StdEncoding.EncodeToString([]byte("(hidden: 19 bytes"))[:20]) {
		t.Errorf("get secret shows no masked value:\n%s", seen["get secret yaml"])
	}
}

// watchFor reads an API path for a moment (a watch never ends by itself).
func watchFor(t *testing.T, c *cluster, path string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.url(path), nil)
	resp, err := c.httpClient().Do(c.authorize(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body) // ends with the deadline for a watch
	return string(b)
}
