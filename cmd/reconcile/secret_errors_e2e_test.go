package main

// End to end: a Secret that fails validation never shows its values, and a
// live diff of a clean tree with Secrets (plain and age-encrypted) is clean.

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// Canaries: a value that is not base64 under data, a number under
// stringData (CUE quotes both in its messages).
const (
	canaryData = "not-base64!Kq7canary"
	canaryPin  = "98127364"
)

const invalidSecret = `apiVersion: v1
kind: Secret
metadata:
  name: leaky
  namespace: e2e
data:
  token: "` + canaryData + `"
stringData:
  pin: ` + canaryPin + `
`

// newControllerOnly runs `reconcile controller` alone: enough for what
// needs no node.
func newControllerOnly(t *testing.T, files map[string]string) *cluster {
	needE2EBinary(t)
	c := prepareCluster(t, files)
	c.startProc("controller", "controller", "--repo", c.repo, "--data", c.data, "--listen", c.server)
	c.waitServer()
	return c
}

func TestE2EInvalidSecretValueAppearsInNoOutput(t *testing.T) {
	skipUnlessE2E(t)
	c := newControllerOnly(t, map[string]string{"namespace.yaml": e2eNamespace})
	base := testkit.Run(t, c.repo, "rev-parse", "HEAD")
	head := c.commit("an invalid Secret", map[string]string{"secret.yaml": invalidSecret})

	seen := map[string]string{}
	c.eventually(30*time.Second, "the source status shows the refused commit", func() error {
		out, err := c.run("status")
		if err != nil {
			return err
		}
		if !strings.Contains(out, "data.token") {
			return fmt.Errorf("no error about data.token yet:\n%s", out)
		}
		seen["status"] = out
		return nil
	})
	for name, args := range map[string][]string{
		"status json": {"status", "-o", "json"},
		"events":      {"events", "-A"},
	} {
		out, err := c.run(args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		seen[name] = out
	}
	out, err := runBin("validate", c.repo)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("validate of the invalid tree: %v\n%s", err, out)
	}
	seen["validate"] = out + err.Error() // stderr is in err
	if !strings.Contains(seen["validate"], "secret.yaml:7:10: data.token: not valid base64 (value hidden)") ||
		!strings.Contains(seen["validate"], "stringData.pin: expected a string (value hidden)") {
		t.Errorf("validate does not name the keys and their problems:\n%s", seen["validate"])
	}
	for _, o := range []string{"text", "markdown", "json"} {
		// The head fails validation: diff says so (exit 1) and prints the errors.
		out, err := runBin("diff", "--repo", c.repo, "--base", base, "--head", head, "-o", o)
		seen["offline diff "+o] = out + fmt.Sprint(err)
		if !strings.Contains(seen["offline diff "+o], "data.token") {
			t.Errorf("offline diff -o %s shows no error about data.token:\n%s", o, seen["offline diff "+o])
		}
	}
	c.stop()
	seen["controller log"] = c.logs()
	if !strings.Contains(seen["controller log"], "data.token") {
		t.Errorf("the controller log says nothing of the refused commit:\n%s", tail(seen["controller log"], 30))
	}
	for name, out := range seen {
		for _, canary := range []string{canaryData, "Kq7canary", canaryPin} {
			if strings.Contains(out, canary) {
				t.Errorf("%s shows the Secret value %q:\n%s", name, canary, tail(out, 30))
			}
		}
	}
}

const plainSecret = `apiVersion: v1
kind: Secret
metadata:
  name: plain
  namespace: e2e
stringData:
  user: admin
  password: hunter2-plain
`

func TestE2ELiveDiffOfACleanTreeWithSecretsIsClean(t *testing.T) {
	c := newPlainCluster(t, map[string]string{"namespace.yaml": e2eNamespace})
	recipientFile := filepath.Join(c.data, "age.recipient")
	c.eventually(10*time.Second, "the controller's recipient file", func() error { _, err := os.Stat(recipientFile); return err })
	sealed, err := runBin("secret", "encrypt", "sealed", "-n", "e2e", "--recipient-file", recipientFile,
		"--from-literal", "password=sealed-value-1", "--from-literal", "token=sealed-value-2")
	if err != nil {
		t.Fatal(err)
	}
	c.commit("secrets", map[string]string{"plain.yaml": plainSecret, "sealed.yaml": sealed})
	c.eventually(30*time.Second, "both Secrets stored", func() error {
		out, err := c.run("get", "secrets", "-n", "e2e")
		if err != nil || !strings.Contains(out, "plain") || !strings.Contains(out, "sealed") {
			return fmt.Errorf("not yet: %v\n%s", err, out)
		}
		return nil
	})
	if out, err := c.run("diff", c.repo, "--exit-code"); err != nil {
		t.Fatalf("live diff of the applied tree: %v\n%s", err, out)
	}

	// A changed plain value and a re-encrypted but equal sealed value.
	os.WriteFile(filepath.Join(c.repo, "plain.yaml"), []byte(strings.Replace(plainSecret, "hunter2-plain", "hunter3-plain", 1)), 0o644)
	resealed, err := runBin("secret", "encrypt", "sealed", "-n", "e2e", "--recipient-file", recipientFile,
		"--from-literal", "password=sealed-value-1", "--from-literal", "token=sealed-value-CHANGED")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(c.repo, "sealed.yaml"), []byte(resealed), 0o644)
	out, err := c.run("diff", c.repo, "--exit-code")
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 {
		t.Fatalf("live diff of a changed tree: want exit 2, got %v\n%s", err, out)
	}
	for _, want := range []string{"data.password: changed (value hidden)", "data.token: changed (value hidden)"} {
		if !strings.Contains(out, want) {
			t.Errorf("live diff does not say %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "data.user") {
		t.Errorf("an unchanged key shows as changed:\n%s", out)
	}
	// sealed.password was re-encrypted with the same value: unchanged.
	if n := strings.Count(out, "data.password"); n != 1 {
		t.Errorf("data.password shows %d times, want once (the plain Secret's):\n%s", n, out)
	}
	for _, v := range []string{"hunter", "sealed-value", "age:"} {
		if strings.Contains(out, v) {
			t.Errorf("live diff shows %q:\n%s", v, out)
		}
	}
}
