package gitsync

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// pgpKey is a generated OpenPGP key and its armored public key file.
type pgpKey struct {
	entity  *openpgp.Entity
	pubFile string
}

func newPGPKey(t *testing.T, name string) pgpKey {
	t.Helper()
	e, err := openpgp.NewEntity(name, "", name+"@example.com", nil)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), name+".asc")
	out, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	w, err := armor.Encode(out, openpgp.PublicKeyType, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(w); err != nil {
		t.Fatal(err)
	}
	w.Close()
	out.Close()
	return pgpKey{entity: e, pubFile: f}
}

// sshKey is a generated ed25519 key: the private key file git signs with and
// an allowed_signers file trusting it.
type sshKey = testkit.SSHKey

// newSSHKey is testkit.NewSSHKey with a comment line in the allowed_signers
// file, as real ones have, so the parser's handling of comments is covered.
func newSSHKey(t *testing.T, principal string) sshKey {
	t.Helper()
	k := testkit.NewSSHKey(t, principal)
	b, err := os.ReadFile(k.AllowedSignersFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(k.AllowedSignersFile, append([]byte("# trusted\n"), b...), 0o644); err != nil {
		t.Fatal(err)
	}
	return k
}

// pgpCommit commits the work tree with go-git, signed by key.
func (r *testRepo) pgpCommit(msg string, key pgpKey) string {
	r.t.Helper()
	repo, err := git.PlainOpen(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	wt, _ := repo.Worktree()
	if err := wt.AddGlob("."); err != nil {
		r.t.Fatal(err)
	}
	sig := &object.Signature{Name: "Ada", Email: "ada@example.com", When: time.Now()}
	h, err := wt.Commit(msg, &git.CommitOptions{Author: sig, Committer: sig, SignKey: key.entity, AllowEmptyCommits: true})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

// pgpTag makes an annotated tag of HEAD signed by key.
func (r *testRepo) pgpTag(name string, key pgpKey) {
	r.t.Helper()
	repo, err := git.PlainOpen(r.dir)
	if err != nil {
		r.t.Fatal(err)
	}
	head, _ := repo.Head()
	sig := &object.Signature{Name: "Ada", Email: "ada@example.com", When: time.Now()}
	if _, err := repo.CreateTag(name, head.Hash(), &git.CreateTagOptions{Tagger: sig, Message: "release " + name, SignKey: key.entity}); err != nil {
		r.t.Fatal(err)
	}
}

func sshGit(key sshKey) []string {
	return []string{"-c", "gpg.format=ssh", "-c", "user.signingkey=" + key.PrivFile}
}

// sshCommit commits with the git CLI, signed with an SSH key (gpg.format=ssh).
func (r *testRepo) sshCommit(msg string, key sshKey) string {
	r.t.Helper()
	r.git("add", "-A")
	r.git(append(sshGit(key), "commit", "-q", "-S", "--allow-empty", "-m", msg)...)
	return r.git("rev-parse", "HEAD")
}

func (r *testRepo) sshTag(name string, key sshKey) {
	r.t.Helper()
	r.git(append(sshGit(key), "tag", "-s", name, "-m", "release "+name)...)
}

func TestVerifySignedCommits(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen (openssh-client) is needed for git to make SSH signatures")
	}
	trustedPGP, otherPGP := newPGPKey(t, "release"), newPGPKey(t, "mallory")
	trustedSSH, otherSSH := newSSHKey(t, "ada@example.com"), newSSHKey(t, "eve@example.com")

	r := newTestRepo(t)
	r.write("a.yaml", "a\n")
	unsigned := r.commit("unsigned")
	r.git("branch", "unsigned")
	r.git("tag", "light")
	r.git("tag", "-a", "plain", "-m", "unsigned annotated tag")
	pgpGood := r.pgpCommit("signed by release", trustedPGP)
	r.git("branch", "pgp-good")
	r.pgpTag("v1.0.0", trustedPGP)
	r.pgpTag("v1.1.0", otherPGP)
	r.pgpCommit("signed by mallory", otherPGP)
	r.git("branch", "pgp-other")
	sshGood := r.sshCommit("ssh signed by ada", trustedSSH)
	r.git("branch", "ssh-good")
	r.sshTag("v2.0.0", trustedSSH)
	r.sshTag("v2.1.0", otherSSH)
	r.sshCommit("ssh signed by eve", otherSSH)
	r.git("branch", "ssh-other")

	both := Verification{OpenPGPKeyFiles: []string{trustedPGP.pubFile}, SSHAllowedSignersFile: trustedSSH.AllowedSignersFile}
	with := func(mode VerifyMode, v Verification) Verification { v.Mode = mode; return v }
	tests := []struct {
		name   string
		ref    string
		verify Verification
		commit string // wanted commit when accepted
		signer string // part of SignedBy when accepted
		refuse string // part of the reason when refused
	}{
		{name: "off deploys unsigned", ref: "unsigned", verify: with(VerifyOff, both), commit: unsigned},
		{name: "head unsigned", ref: "unsigned", verify: with(VerifyHead, both), refuse: "not signed"},
		{name: "head openpgp trusted", ref: "pgp-good", verify: with(VerifyHead, both), commit: pgpGood, signer: "release"},
		{name: "head openpgp unknown key", ref: "pgp-other", verify: with(VerifyHead, both), refuse: "not among the trusted keys"},
		{name: "head openpgp without pgp keys", ref: "pgp-good", verify: Verification{Mode: VerifyHead, SSHAllowedSignersFile: trustedSSH.AllowedSignersFile}, refuse: "trusts no OpenPGP keys"},
		{name: "head ssh trusted", ref: "ssh-good", verify: with(VerifyHead, both), commit: sshGood, signer: "ada@example.com"},
		{name: "head ssh unknown key", ref: "ssh-other", verify: with(VerifyHead, both), refuse: "not in the allowed signers file"},
		{name: "head ssh without ssh keys", ref: "ssh-good", verify: Verification{Mode: VerifyHead, OpenPGPKeyFiles: []string{trustedPGP.pubFile}}, refuse: "trusts no SSH keys"},
		{name: "tag openpgp trusted", ref: "v1.0.0", verify: with(VerifyTag, both), commit: pgpGood, signer: "release"},
		{name: "tag openpgp unknown key", ref: "v1.1.0", verify: with(VerifyTag, both), refuse: "not among the trusted keys"},
		{name: "tag ssh trusted", ref: "v2.0.0", verify: with(VerifyTag, both), commit: sshGood, signer: "ada@example.com"},
		{name: "tag ssh unknown key", ref: "v2.1.0", verify: with(VerifyTag, both), refuse: "not in the allowed signers file"},
		{name: "tag lightweight", ref: "light", verify: with(VerifyTag, both), refuse: "lightweight tag"},
		{name: "tag annotated unsigned", ref: "plain", verify: with(VerifyTag, both), refuse: "is not signed"},
		{name: "tag mode on a branch", ref: "ssh-good", verify: with(VerifyTag, both), refuse: "is not a tag"},
		{name: "tag mode semver range picks v2.1.0, unknown key", ref: "^2", verify: with(VerifyTag, both), refuse: "tag v2.1.0 signature"},
		{name: "tag mode semver range ~2.0", ref: "~2.0", verify: with(VerifyTag, both), commit: sshGood, signer: "ada@example.com"},
	}
	for _, remote := range []bool{false, true} {
		for _, tc := range tests {
			name := tc.name
			url := r.dir
			if remote {
				name, url = "file/"+name, "file://"+r.dir
			}
			t.Run(name, func(t *testing.T) {
				s := newSource(t, Config{Name: "signed", URL: url, Ref: tc.ref, Verify: tc.verify, CacheDir: t.TempDir()})
				snap, err := s.Fetch(t.Context())
				if tc.refuse != "" {
					var refused *UnverifiedError
					if !errors.As(err, &refused) {
						t.Fatalf("Fetch: %v, %v; want an UnverifiedError saying %q", snap, err, tc.refuse)
					}
					if !strings.Contains(refused.Reason, tc.refuse) || refused.Commit.Commit == "" || refused.Commit.Files != nil {
						t.Fatalf("refused %+v: %s; want a reason with %q, the commit and no files", refused.Commit, refused.Reason, tc.refuse)
					}
					return
				}
				if err != nil {
					t.Fatalf("Fetch: %v", err)
				}
				if snap.Commit != tc.commit || !strings.Contains(snap.SignedBy, tc.signer) || len(snap.Files) != 1 {
					t.Fatalf("got commit %s signed by %q with %d files; want %s signed by %q", snap.Commit, snap.SignedBy, len(snap.Files), tc.commit, tc.signer)
				}
			})
		}
	}
}

func TestVerifyConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	os.WriteFile(bad, []byte("ada@example.com not-a-key\n"), 0o644)
	ca := filepath.Join(dir, "ca")
	k := newSSHKey(t, "x")
	line, _ := os.ReadFile(k.AllowedSignersFile)
	os.WriteFile(ca, []byte(strings.Replace(string(line), `namespaces="git"`, "cert-authority", 1)), 0o644)
	for _, tc := range []struct {
		v    Verification
		want string
	}{
		{Verification{Mode: "always"}, `verify mode "always" is unknown`},
		{Verification{Mode: VerifyHead}, "needs trusted keys"},
		{Verification{Mode: VerifyHead, OpenPGPKeyFiles: []string{filepath.Join(dir, "missing.asc")}}, "gpg --armor --export"},
		{Verification{Mode: VerifyHead, OpenPGPKeyFiles: []string{bad}}, "armored public keys"},
		{Verification{Mode: VerifyHead, SSHAllowedSignersFile: bad}, bad + ":1: not an allowed-signers line"},
		{Verification{Mode: VerifyHead, SSHAllowedSignersFile: ca}, "cert-authority is not supported"},
	} {
		err := tc.v.check()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error with %q", tc.v, err, tc.want)
		}
	}
}

func TestSSHSignatureTamperedAndWrongNamespace(t *testing.T) {
	if _, err := exec.LookPath("ssh-keygen"); err != nil {
		t.Skip("ssh-keygen needed")
	}
	k := newSSHKey(t, "ada@example.com")
	msg := filepath.Join(t.TempDir(), "msg")
	os.WriteFile(msg, []byte("hello\n"), 0o644)
	sign := func(ns string) string {
		out, err := exec.Command("ssh-keygen", "-Y", "sign", "-f", k.PrivFile, "-n", ns, msg).CombinedOutput()
		if err != nil {
			t.Fatalf("ssh-keygen -Y sign: %v %s", err, out)
		}
		b, err := os.ReadFile(msg + ".sig")
		if err != nil {
			t.Fatal(err)
		}
		os.Remove(msg + ".sig")
		return string(b)
	}
	sig := sign("git")
	if _, err := verifySSHSignature(sig, []byte("hello\n")); err != nil {
		t.Fatalf("ssh-keygen's own signature: %v", err)
	}
	if _, err := verifySSHSignature(sig, []byte("hello!\n")); err == nil {
		t.Fatal("a signature over other bytes was accepted")
	}
	if _, err := verifySSHSignature(sign("file"), []byte("hello\n")); err == nil || !strings.Contains(err.Error(), `namespace "file"`) {
		t.Fatalf("signature for namespace file: %v", err)
	}
}
