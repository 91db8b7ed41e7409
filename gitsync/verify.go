package gitsync

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"golang.org/x/crypto/ssh"
)

// VerifyMode says which signature a source requires before it deploys.
type VerifyMode string

const (
	// VerifyOff deploys any commit.
	VerifyOff VerifyMode = "off"
	// VerifyHead requires the commit at the ref to be signed by a trusted key.
	VerifyHead VerifyMode = "head"
	// VerifyTag requires the ref to be an annotated tag signed by a trusted key.
	VerifyTag VerifyMode = "tag"
)

// Verification is a source's signature policy. Keys are read from their
// files at every fetch, so adding or revoking a key needs no restart.
type Verification struct {
	Mode VerifyMode
	// OpenPGPKeyFiles hold armored OpenPGP public keys
	// (`gpg --armor --export KEYID`).
	OpenPGPKeyFiles []string
	// SSHAllowedSignersFile is an allowed_signers file as git's
	// gpg.ssh.allowedSignersFile uses it.
	SSHAllowedSignersFile string
}

// UnverifiedError is returned by Fetch when the commit at the ref does not
// carry the signature the source requires. Commit describes the refused
// commit (its Files are empty: nothing of it is read); Reason says why.
type UnverifiedError struct {
	Commit *Snapshot
	Reason string
}

func (e *UnverifiedError) Error() string {
	return fmt.Sprintf("commit %s refused: %s", shortHash(e.Commit.Commit), e.Reason)
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// enabled reports whether any verification is asked for.
func (v Verification) enabled() bool { return v.Mode != "" && v.Mode != VerifyOff }

// check validates the policy and that the key files can be read, so that
// mistakes show when the source is created.
func (v Verification) check() error {
	switch v.Mode {
	case "", VerifyOff:
		return nil
	case VerifyHead, VerifyTag:
	default:
		return fmt.Errorf("verify mode %q is unknown: use off, head or tag", v.Mode)
	}
	if len(v.OpenPGPKeyFiles) == 0 && v.SSHAllowedSignersFile == "" {
		return fmt.Errorf("verify mode %s needs trusted keys: give openpgpKeys (armored public key files) or sshAllowedSigners (an allowed_signers file)", v.Mode)
	}
	_, err := v.keys()
	return err
}

// trustedKeys are the keys read from a Verification's files.
type trustedKeys struct {
	pgp openpgp.EntityList
	ssh []allowedSigner
}

func (v Verification) keys() (*trustedKeys, error) {
	k := &trustedKeys{}
	for _, f := range v.OpenPGPKeyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading OpenPGP key: %w: export it with `gpg --armor --export KEYID > %s`", err, f)
		}
		list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("OpenPGP key file %s: %w: it must hold armored public keys (`gpg --armor --export KEYID`)", f, err)
		}
		k.pgp = append(k.pgp, list...)
	}
	if v.SSHAllowedSignersFile != "" {
		var err error
		if k.ssh, err = readAllowedSigners(v.SSHAllowedSignersFile); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// verifyTarget applies the policy to a resolved ref: target is the object
// the ref points at (a tag object for an annotated tag), c the commit it
// leads to, isTag whether the ref is a tag. It returns the signer on
// success and an *UnverifiedError when the commit must not deploy.
func (v Verification) verifyTarget(st storer.EncodedObjectStorer, target plumbing.Hash, c *object.Commit, ref string, isTag bool) (string, error) {
	if !v.enabled() {
		return "", nil
	}
	refuse := func(format string, args ...any) (string, error) {
		return "", &UnverifiedError{Commit: snapshotOf(c, nil), Reason: fmt.Sprintf(format, args...)}
	}
	keys, err := v.keys()
	if err != nil {
		return "", err // a configuration problem, not the commit's fault
	}
	switch v.Mode {
	case VerifyHead:
		if c.PGPSignature == "" {
			return refuse("the commit is not signed, and this source only deploys commits signed by a trusted key (verify mode head): sign it with `git commit -S`")
		}
		msg := &plumbing.MemoryObject{}
		if err := c.EncodeWithoutSignature(msg); err != nil {
			return "", err
		}
		who, why := keys.verify(c.PGPSignature, msg)
		if why != "" {
			return refuse("commit signature: %s", why)
		}
		return who, nil
	case VerifyTag:
		if !isTag {
			return refuse("verify mode tag needs the source's ref to be a tag or a semver range over tags, but %q is not a tag", ref)
		}
		obj, err := st.EncodedObject(plumbing.AnyObject, target)
		if err != nil {
			return "", fmt.Errorf("reading tag %s: %w", ref, err)
		}
		if obj.Type() != plumbing.TagObject {
			return refuse("tag %s is a lightweight tag; verify mode tag needs an annotated tag signed by a trusted key: `git tag -s`", ref)
		}
		tag, err := object.DecodeTag(st, obj)
		if err != nil {
			return "", err
		}
		if tag.PGPSignature == "" {
			return refuse("tag %s is not signed; verify mode tag needs it signed by a trusted key: `git tag -s`", ref)
		}
		msg := &plumbing.MemoryObject{}
		if err := tag.EncodeWithoutSignature(msg); err != nil {
			return "", err
		}
		who, why := keys.verify(tag.PGPSignature, msg)
		if why != "" {
			return refuse("tag %s signature: %s", ref, why)
		}
		return who, nil
	}
	return "", nil
}

// verify checks a signature of either kind over the encoded object. It
// returns who signed, or why the signature is not accepted.
func (k *trustedKeys) verify(sig string, msg *plumbing.MemoryObject) (string, string) {
	r, err := msg.Reader()
	if err != nil {
		return "", err.Error()
	}
	payload, err := io.ReadAll(r)
	if err != nil {
		return "", err.Error()
	}
	if isSSHSignature(sig) {
		if len(k.ssh) == 0 {
			return "", "signed with an SSH key, but the source trusts no SSH keys (set sshAllowedSigners)"
		}
		pub, err := verifySSHSignature(sig, payload)
		if err != nil {
			return "", err.Error()
		}
		a, ok := trustedSSHSigner(k.ssh, pub)
		if !ok {
			return "", fmt.Sprintf("signed by SSH key %s, which is not in the allowed signers file", ssh.FingerprintSHA256(pub))
		}
		return fmt.Sprintf("%s (%s)", a.principals, ssh.FingerprintSHA256(pub)), ""
	}
	if len(k.pgp) == 0 {
		return "", "signed with OpenPGP, but the source trusts no OpenPGP keys (set openpgpKeys)"
	}
	signer, err := openpgp.CheckArmoredDetachedSignature(k.pgp, bytes.NewReader(payload), strings.NewReader(sig), nil)
	if err != nil {
		if errors.Is(err, pgperrors.ErrUnknownIssuer) {
			return "", "signed by an OpenPGP key that is not among the trusted keys"
		}
		return "", fmt.Sprintf("OpenPGP signature not accepted: %v", err)
	}
	for _, id := range signer.Identities {
		return fmt.Sprintf("%s (%X)", id.Name, signer.PrimaryKey.Fingerprint), ""
	}
	return fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint), ""
}
