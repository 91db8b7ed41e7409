package testkit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/crypto/ssh"
)

// SSHKey is a generated ed25519 signing key.
type SSHKey struct {
	// PrivFile is the private key (OpenSSH format), for user.signingkey.
	PrivFile string
	// AllowedSignersFile trusts the key for the principal, for git
	// namespaces (the format of git's gpg.ssh.allowedSignersFile).
	AllowedSignersFile string
}

// NewSSHKey generates a key and an allowed_signers file trusting it.
func NewSSHKey(t testing.TB, principal string) SSHKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, principal)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	k := SSHKey{PrivFile: filepath.Join(dir, "id_ed25519"), AllowedSignersFile: filepath.Join(dir, "allowed_signers")}
	if err := os.WriteFile(k.PrivFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := principal + ` namespaces="git" ` + string(ssh.MarshalAuthorizedKey(signer.PublicKey()))
	if err := os.WriteFile(k.AllowedSignersFile, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// SignArgs are the git options that sign commits and tags with the key
// (`git -c gpg.format=ssh -c user.signingkey=FILE commit -S`); git runs
// ssh-keygen to sign.
func (k SSHKey) SignArgs() []string {
	return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + k.PrivFile, "-c", "commit.gpgsign=true", "-c", "tag.gpgsign=true"}
}

// NeedSSHKeygen skips the test when git cannot make SSH signatures here.
func NeedSSHKeygen(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen (openssh-client) is needed for git to make SSH signatures")
	}
}
