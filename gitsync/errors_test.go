package gitsync

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// TestErrorMessages pins every error a person may see, with temp paths
// replaced by placeholders, in testdata/errors.golden (-update rewrites it).
func TestErrorMessages(t *testing.T) {
	r := newTestRepo(t)
	r.write("deploy/a.yaml", "a\n")
	r.commit("c1")
	commit := r.git("rev-parse", "--short=12", "HEAD")
	r.git("tag", "v1")
	r.git("branch", "stable")
	empty := newTestRepo(t)
	notRepo := t.TempDir()
	keyFile, knownHosts, _ := sshFixture(t, []string{"git.example.com"}, "")
	lockedKey, _, _ := sshFixture(t, []string{"git.example.com"}, "pass")
	tmp := t.TempDir()
	emptyToken := filepath.Join(tmp, "empty-token")
	if err := os.WriteFile(emptyToken, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	placeholders := strings.NewReplacer(r.dir, "$REPO", empty.dir, "$EMPTY", notRepo, "$NOTREPO",
		filepath.Dir(keyFile), "$KEYDIR", filepath.Dir(lockedKey), "$KEYDIR2", tmp, "$TMP", commit, "$COMMIT")

	newErr := func(cfg Config) error {
		_, err := New(cfg)
		return err
	}
	fetchErr := func(cfg Config) error {
		s, err := New(cfg)
		if err != nil {
			return fmt.Errorf("New: %w", err)
		}
		_, err = s.Fetch(context.Background())
		return err
	}
	cases := []struct {
		name string
		err  error
	}{
		{"empty url", newErr(Config{})},
		{"unsupported scheme", newErr(Config{URL: "ftp://example.com/repo"})},
		{"missing directory", newErr(Config{URL: filepath.Join(tmp, "nope")})},
		{"not a repository", newErr(Config{URL: notRepo})},
		{"unknown ref, local", fetchErr(Config{Name: "demo", URL: r.dir, Ref: "v9"})},
		{"unknown ref, remote", fetchErr(Config{Name: "demo", URL: "file://" + r.dir, Ref: "v9", CacheDir: tmp})},
		{"unknown commit, remote", fetchErr(Config{Name: "demo", URL: "file://" + r.dir, Ref: "deadbeef", CacheDir: tmp})},
		{"no commits yet", fetchErr(Config{Name: "demo", URL: empty.dir})},
		{"path not a directory", fetchErr(Config{Name: "demo", URL: r.dir, Path: "deploy/a.yaml"})},
		{"path missing", fetchErr(Config{Name: "demo", URL: r.dir, Path: "apps"})},
		{"remote repository missing", fetchErr(Config{Name: "demo", URL: "file://" + notRepo + "/x.git", CacheDir: tmp})},
		{"ssh without known_hosts", newErr(Config{Name: "demo", URL: "git@git.example.com:org/repo.git", SSHKeyFile: keyFile, KnownHostsFile: filepath.Join(tmp, "known_hosts")})},
		{"ssh without key", newErr(Config{Name: "demo", URL: "ssh://git.example.com/repo.git", KnownHostsFile: knownHosts})},
		{"ssh key with passphrase", newErr(Config{Name: "demo", URL: "ssh://git.example.com/repo.git", SSHKeyFile: lockedKey, KnownHostsFile: knownHosts})},
		{"token file missing", newErr(Config{Name: "demo", URL: "https://example.com/repo.git", TokenFile: filepath.Join(tmp, "token")})},
		{"token file empty", newErr(Config{Name: "demo", URL: "https://example.com/repo.git", TokenFile: emptyToken})},
		{"token over plain http", newErr(Config{Name: "demo", URL: "http://git.example.com/repo.git", TokenFile: emptyToken})},
	}
	var b strings.Builder
	for _, c := range cases {
		if c.err == nil {
			t.Errorf("%s: no error", c.name)
			continue
		}
		fmt.Fprintf(&b, "%s:\n\t%s\n", c.name, placeholders.Replace(c.err.Error()))
	}
	testkit.GoldenString(t, filepath.Join("testdata", "errors.golden"), b.String())
}
