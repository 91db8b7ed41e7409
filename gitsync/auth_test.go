package gitsync

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

func TestClassifyURL(t *testing.T) {
	cases := map[string]urlKind{
		"/srv/repo":                         kindLocal,
		"./repo":                            kindLocal,
		"repo":                              kindLocal,
		"../a/b:c":                          kindLocal, // slash before the colon: a path
		"file:///srv/repo":                  kindFile,
		"https://github.com/org/repo.git":   kindHTTP,
		"http://127.0.0.1:8080/repo":        kindHTTP,
		"ssh://git@github.com/org/repo.git": kindSSH,
		"git@github.com:org/repo.git":       kindSSH,
		"gitlab.example.com:group/repo.git": kindSSH,
		"git+ssh://git@host:2222/repo.git":  kindSSH,
		"deploy@host.example.com:/abs/repo": kindSSH, // git reads host:/path as ssh too
	}
	for url, want := range cases {
		got, err := classifyURL(url)
		if err != nil || got != want {
			t.Errorf("classifyURL(%q) = %v, %v; want %v", url, got, err, want)
		}
	}
}

func TestTokenAuthForms(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		content string
		want    any
	}{
		{"ghp_abc\n", &githttp.BasicAuth{Username: "x-access-token", Password: "ghp_abc"}},
		{"  glpat-xyz  ", &githttp.BasicAuth{Username: "x-access-token", Password: "glpat-xyz"}},
		{"oauth2:glpat-xyz\n", &githttp.BasicAuth{Username: "oauth2", Password: "glpat-xyz"}},
		{"Bearer abc.def\n", &githttp.TokenAuth{Token: "abc.def"}},
	}
	for i, c := range cases {
		f := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(f, []byte(c.content), 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := tokenAuth(f)
		if err != nil {
			t.Fatalf("%q: %v", c.content, err)
		}
		switch w := c.want.(type) {
		case *githttp.BasicAuth:
			if g, ok := got.(*githttp.BasicAuth); !ok || *g != *w {
				t.Errorf("%q: got %#v, want %#v", c.content, got, w)
			}
		case *githttp.TokenAuth:
			if g, ok := got.(*githttp.TokenAuth); !ok || *g != *w {
				t.Errorf("%q: got %#v, want %#v", c.content, got, w)
			}
		}
	}
}

func TestCheckTokenTransport(t *testing.T) {
	for url, ok := range map[string]bool{
		"https://github.com/o/r.git":  true,
		"http://127.0.0.1:9000/r.git": true,
		"http://localhost/r.git":      true,
		"http://[::1]:80/r.git":       true,
		"http://git.example.com/r":    false,
	} {
		if err := checkTokenTransport(url); (err == nil) != ok {
			t.Errorf("%s: err = %v, want allowed=%v", url, err, ok)
		}
	}
}

// sshFixture writes a client key and a known_hosts file naming hostKey for
// the given known_hosts addresses.
func sshFixture(t *testing.T, addrs []string, passphrase string) (keyFile, knownHostsFile string, hostKey ssh.PublicKey) {
	t.Helper()
	dir := t.TempDir()
	_, clientPriv, _ := ed25519.GenerateKey(rand.Reader)
	var block *pem.Block
	var err error
	if passphrase == "" {
		block, err = ssh.MarshalPrivateKey(clientPriv, "test")
	} else {
		block, err = ssh.MarshalPrivateKeyWithPassphrase(clientPriv, "test", []byte(passphrase))
	}
	if err != nil {
		t.Fatal(err)
	}
	keyFile = filepath.Join(dir, "id_ed25519")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub, _, _ := ed25519.GenerateKey(rand.Reader)
	hostKey, _ = ssh.NewPublicKey(hostPub)
	knownHostsFile = filepath.Join(dir, "known_hosts")
	if err := os.WriteFile(knownHostsFile, []byte(knownhosts.Line(addrs, hostKey)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return keyFile, knownHostsFile, hostKey
}

func TestSSHAuthWiring(t *testing.T) {
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ssh.NewPublicKey(otherPub)
	cases := []struct {
		url, knownAs, dialed, user string
	}{
		{"git@git.example.com:org/repo.git", "git.example.com", "git.example.com:22", "git"},
		{"ssh://deploy@git.example.com:2222/org/repo.git", "git.example.com:2222", "git.example.com:2222", "deploy"},
		{"ssh://git.example.com/org/repo.git", "git.example.com", "git.example.com:22", "git"},
	}
	for _, c := range cases {
		keyFile, khFile, hostKey := sshFixture(t, []string{c.knownAs}, "")
		am, err := sshAuth(Config{URL: c.url, SSHKeyFile: keyFile, KnownHostsFile: khFile})
		if err != nil {
			t.Fatalf("%s: %v", c.url, err)
		}
		keys, ok := am.(*gitssh.PublicKeys)
		if !ok || keys.User != c.user {
			t.Fatalf("%s: auth %#v, want public keys for user %s", c.url, am, c.user)
		}
		cc, err := keys.ClientConfig()
		if err != nil {
			t.Fatal(err)
		}
		addr := &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 22}
		if err := cc.HostKeyCallback(c.dialed, addr, hostKey); err != nil {
			t.Errorf("%s: known host key refused: %v", c.url, err)
		}
		if err := cc.HostKeyCallback(c.dialed, addr, otherKey); err == nil {
			t.Errorf("%s: a different host key was accepted", c.url)
		}
		if err := cc.HostKeyCallback("unknown.example.com:22", addr, hostKey); err == nil {
			t.Errorf("%s: an unknown host was accepted", c.url)
		}
		if !slices.Contains(cc.HostKeyAlgorithms, ssh.KeyAlgoED25519) {
			t.Errorf("%s: host key algorithms %v miss ed25519 from known_hosts", c.url, cc.HostKeyAlgorithms)
		}
	}
}
