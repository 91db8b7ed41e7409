package gitsync

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"os"
	"strings"

	"golang.org/x/crypto/ssh"
)

// SSH signatures (git's gpg.format=ssh) are in OpenSSH's SSHSIG format
// (PROTOCOL.sshsig in the OpenSSH sources). go-git only knows OpenPGP, so
// they are verified here, in pure Go, the way `ssh-keygen -Y verify` does.

const (
	sshSigArmorBegin = "-----BEGIN SSH SIGNATURE-----"
	sshSigArmorEnd   = "-----END SSH SIGNATURE-----"
	sshSigMagic      = "SSHSIG"
	// sshSigNamespace is the namespace git signs commits and tags in; a
	// signature made for another purpose (file, email) must not pass.
	sshSigNamespace = "git"
)

// isSSHSignature tells an SSH signature from an OpenPGP one.
func isSSHSignature(sig string) bool {
	return strings.HasPrefix(strings.TrimSpace(sig), sshSigArmorBegin)
}

// sshSignature is the decoded SSHSIG blob.
type sshSignature struct {
	Magic         [6]byte
	Version       uint32
	PublicKey     []byte
	Namespace     string
	Reserved      string
	HashAlgorithm string
	Signature     []byte
}

// parseSSHSignature decodes an armored SSHSIG.
func parseSSHSignature(armored string) (*sshSignature, ssh.PublicKey, *ssh.Signature, error) {
	body := strings.TrimSpace(armored)
	body, ok := strings.CutPrefix(body, sshSigArmorBegin)
	if !ok {
		return nil, nil, nil, errors.New("not an SSH signature")
	}
	body, ok = strings.CutSuffix(strings.TrimSpace(body), sshSigArmorEnd)
	if !ok {
		return nil, nil, nil, errors.New("SSH signature has no END line")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(body), ""))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("SSH signature is not valid base64: %w", err)
	}
	var s sshSignature
	if err := ssh.Unmarshal(raw, &s); err != nil {
		return nil, nil, nil, fmt.Errorf("SSH signature cannot be decoded: %w", err)
	}
	if string(s.Magic[:]) != sshSigMagic {
		return nil, nil, nil, errors.New("SSH signature lacks the SSHSIG magic")
	}
	if s.Version != 1 {
		return nil, nil, nil, fmt.Errorf("SSH signature version %d is not supported (only 1)", s.Version)
	}
	pub, err := ssh.ParsePublicKey(s.PublicKey)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("SSH signature carries an unreadable public key: %w", err)
	}
	var sig ssh.Signature
	if err := ssh.Unmarshal(s.Signature, &sig); err != nil {
		return nil, nil, nil, fmt.Errorf("SSH signature blob cannot be decoded: %w", err)
	}
	return &s, pub, &sig, nil
}

// verifySSHSignature checks an armored SSHSIG over message and returns the
// key that made it. It checks the cryptography and the namespace only;
// whether the key is trusted is the caller's question.
func verifySSHSignature(armored string, message []byte) (ssh.PublicKey, error) {
	s, pub, sig, err := parseSSHSignature(armored)
	if err != nil {
		return nil, err
	}
	if s.Namespace != sshSigNamespace {
		return nil, fmt.Errorf("SSH signature is for namespace %q, not %q (it was not made by git)", s.Namespace, sshSigNamespace)
	}
	var h hash.Hash
	switch s.HashAlgorithm {
	case "sha256":
		h = sha256.New()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("SSH signature uses hash %q; only sha256 and sha512 are supported", s.HashAlgorithm)
	}
	h.Write(message)
	signed := ssh.Marshal(struct {
		Magic         [6]byte
		Namespace     string
		Reserved      string
		HashAlgorithm string
		Hash          []byte
	}{s.Magic, s.Namespace, s.Reserved, s.HashAlgorithm, h.Sum(nil)})
	// An RSA signature must use SHA-2 (ssh-keygen refuses "ssh-rsa", SHA-1).
	if sig.Format == ssh.KeyAlgoRSA {
		return nil, errors.New("SSH signature uses RSA with SHA-1, which is refused: re-sign with rsa-sha2-512 or an ed25519 key")
	}
	if err := pub.Verify(signed, sig); err != nil {
		return nil, fmt.Errorf("SSH signature does not match the commit: %w", err)
	}
	return pub, nil
}

// allowedSigner is one usable line of an allowed_signers file.
type allowedSigner struct {
	principals string
	key        ssh.PublicKey
	line       int
}

// readAllowedSigners parses an allowed_signers file (ssh-keygen(1),
// "ALLOWED SIGNERS"): "principals [options] keytype base64-key [comment]".
// Keys restricted to other namespaces (namespaces="...") are left out; the
// cert-authority, valid-after and valid-before options are not supported and
// are an error rather than silently ignored.
func readAllowedSigners(file string) ([]allowedSigner, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading allowed signers: %w: give a file of lines \"email keytype key\" (the format of git's gpg.ssh.allowedSignersFile)", err)
	}
	var out []allowedSigner
	sc := bufio.NewScanner(bytes.NewReader(b))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		principals, rest, _ := strings.Cut(line, " ")
		key, _, opts, _, err := ssh.ParseAuthorizedKey([]byte(strings.TrimSpace(rest)))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not an allowed-signers line (%v): write \"email keytype base64-key\"", file, n, err)
		}
		forGit := true
		for _, o := range opts {
			name, val, _ := strings.Cut(o, "=")
			switch strings.ToLower(name) {
			case "namespaces":
				forGit = false
				for _, ns := range strings.Split(strings.Trim(val, `"`), ",") {
					forGit = forGit || strings.TrimSpace(ns) == sshSigNamespace
				}
			case "cert-authority", "valid-after", "valid-before":
				return nil, fmt.Errorf("%s:%d: option %s is not supported: list the signing keys themselves, without it", file, n, name)
			}
		}
		if forGit {
			out = append(out, allowedSigner{principals: principals, key: key, line: n})
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("allowed signers file %s lists no key usable for git: add lines \"email keytype base64-key\"", file)
	}
	return out, nil
}

// trustedSSHSigner returns the allowed signer whose key made the signature.
func trustedSSHSigner(allowed []allowedSigner, key ssh.PublicKey) (allowedSigner, bool) {
	want := key.Marshal()
	for _, a := range allowed {
		if bytes.Equal(a.key.Marshal(), want) {
			return a, true
		}
	}
	return allowedSigner{}, false
}
