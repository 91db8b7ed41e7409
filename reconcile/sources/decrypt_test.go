package sources

import (
	"bytes"
	"io"
	"log/slog"
	"strings"
	"testing"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"

	"github.com/reconcile-dev/reconcile/gitsync"
	"github.com/reconcile-dev/reconcile/reconcile/secrets"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/schema/objects"
)

const canary = "canary-7f3a-do-not-print"

func encryptedSecret(t *testing.T, name, value, recipient string) string {
	t.Helper()
	enc, err := secrets.EncryptValue([]byte(value), recipient)
	if err != nil {
		t.Fatal(err)
	}
	return "apiVersion: v1\nkind: Secret\nmetadata:\n  name: " + name + "\nstringData:\n  user: admin\n  password: " + enc + "\n"
}

func TestEncryptedSecretIsDecryptedBeforeApply(t *testing.T) {
	id, _ := age.GenerateX25519Identity()
	other, _ := age.GenerateX25519Identity()
	repo := testkit.NewRepo(t)
	repo.Write("secret.yaml", encryptedSecret(t, "db", canary, id.Recipient().String()))
	c1 := repo.Commit("encrypted secret")

	var logs bytes.Buffer
	h := newHarness(t, Config{Config: gitsync.Config{Name: "apps", URL: repo.Dir}, Prune: true})
	h.m.log = slog.New(slog.NewTextHandler(io.MultiWriter(&logs), nil))
	h.m.SetIdentities(id)
	h.run()
	h.waitStatus("apps", "encrypted commit applied", func(s Status) bool { return s.LastAppliedCommit == c1 })
	o, err := h.st.Get(objects.Key{Kind: "Secret", Namespace: "default", Name: "db"})
	if err != nil {
		t.Fatal(err)
	}
	s := o.(*corev1.Secret)
	if string(s.Data["password"]) != canary || string(s.Data["user"]) != "admin" {
		t.Fatalf("stored Secret data = %q", s.Data)
	}

	// A value encrypted to another key refuses the commit at the file, and
	// the last good commit keeps running.
	repo.Write("secret.yaml", encryptedSecret(t, "db", "second-"+canary, other.Recipient().String()))
	c2 := repo.Commit("wrong key")
	st := h.waitStatus("apps", "wrong-key commit refused", func(s Status) bool {
		return s.LastAttemptedCommit == c2 && len(s.Errors) > 0
	})
	if st.LastAppliedCommit != c1 {
		t.Fatalf("last applied = %s, want %s", st.LastAppliedCommit, c1)
	}
	if !strings.HasPrefix(st.Errors[0], "secret.yaml:1:1: Secret default/db: stringData.password: encrypted to another key") &&
		!strings.HasPrefix(st.Errors[0], "secret.yaml:1:1: Secret default/db: data.password: encrypted to another key") {
		t.Fatalf("error = %q", st.Errors[0])
	}
	h.stop()
	if strings.Contains(logs.String(), canary) {
		t.Fatalf("a log line carries the secret value:\n%s", logs.String())
	}
}
