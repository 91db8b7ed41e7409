// Package gittest makes real git repositories, signing keys and a git HTTP
// server for tests of the packages that read git (gitsync, sources, the
// CLI's end-to-end tests). It drives the git CLI with a fixed identity and
// no user or system configuration.
package gittest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Repo is a git repository with a work tree in a temporary directory.
type Repo struct {
	t   testing.TB
	Dir string
}

// NewRepo runs `git init` on branch main in a new temporary directory.
func NewRepo(t testing.TB) *Repo {
	t.Helper()
	r := &Repo{t: t, Dir: t.TempDir()}
	r.Git("init", "-q", "-b", "main")
	return r
}

// Git runs git in the repo and returns its trimmed output.
func (r *Repo) Git(args ...string) string {
	r.t.Helper()
	return Run(r.t, r.Dir, args...)
}

// Run runs git in dir with a fixed identity and no user or system config.
func Run(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL=/dev/null",
		"GIT_AUTHOR_NAME=Ada", "GIT_AUTHOR_EMAIL=ada@example.com",
		"GIT_COMMITTER_NAME=Ada", "GIT_COMMITTER_EMAIL=ada@example.com",
	)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// Write writes a file of the work tree (an empty content removes it).
func (r *Repo) Write(path, content string) {
	r.t.Helper()
	p := filepath.Join(r.Dir, filepath.FromSlash(path))
	if content == "" {
		os.Remove(p)
		return
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		r.t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		r.t.Fatal(err)
	}
}

// Commit stages everything and commits; extra git options (e.g. from
// SSHKey.GitArgs) go before the subcommand. It returns the commit hash.
func (r *Repo) Commit(msg string, extra ...string) string {
	r.t.Helper()
	r.Git("add", "-A")
	r.Git(append(extra, "commit", "-q", "--allow-empty", "-m", msg)...)
	return r.Git("rev-parse", "HEAD")
}

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

// HTTPServer serves the bare repositories under root over git's smart HTTP
// protocol with `git http-backend` (fetch and push), on 127.0.0.1. With a
// token, only requests carrying it as a basic-auth password or bearer token
// are admitted.
func HTTPServer(t testing.TB, root, token string) *httptest.Server {
	t.Helper()
	execPath, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	backend := &cgi.Handler{
		Path: filepath.Join(strings.TrimSpace(string(execPath)), "git-http-backend"),
		// REMOTE_USER lets http-backend accept pushes (receive-pack).
		Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "REMOTE_USER=test"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if token != "" {
			_, pass, ok := req.BasicAuth()
			bearer, isBearer := strings.CutPrefix(req.Header.Get("Authorization"), "Bearer ")
			if !(ok && pass == token) && !(isBearer && bearer == token) {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// NewBareRepo makes an empty bare repository root/name for HTTPServer.
func NewBareRepo(t testing.TB, root, name string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Run(t, dir, "init", "-q", "--bare", "-b", "main")
	return dir
}
