package secrets

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
)

// Prefix marks an encrypted value.
const Prefix = "age:"

// EncryptValue encrypts plaintext to the recipients ("age1…") and returns
// the "age:<base64>" form.
func EncryptValue(plaintext []byte, recipients ...string) (string, error) {
	if len(recipients) == 0 {
		return "", errors.New("no recipient: pass --recipient age1… (the controller prints it at start and writes it to DATA/age.recipient)")
	}
	var rs []age.Recipient
	for _, s := range recipients {
		r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
		if err != nil {
			return "", fmt.Errorf("recipient %q: %w: use the controller's age1… key from DATA/age.recipient", s, err)
		}
		rs = append(rs, r)
	}
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, rs...)
	if err != nil {
		return "", err
	}
	if _, err := w.Write(plaintext); err != nil {
		return "", err
	}
	if err := w.Close(); err != nil {
		return "", err
	}
	return Prefix + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// IsEncrypted reports whether a value has the "age:" form.
func IsEncrypted(v []byte) bool { return bytes.HasPrefix(v, []byte(Prefix)) }

// HasEncrypted reports whether a Secret carries any encrypted value.
func HasEncrypted(s *corev1.Secret) bool {
	for _, v := range s.Data {
		if IsEncrypted(v) {
			return true
		}
	}
	for _, v := range s.StringData {
		if strings.HasPrefix(v, Prefix) {
			return true
		}
	}
	return false
}

// DecryptValue decrypts one "age:" value. Errors never quote the value.
func DecryptValue(v []byte, ids ...age.Identity) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(string(v[len(Prefix):]))
	if err != nil {
		return nil, errors.New("the text after \"age:\" is not standard base64: write the value with `reconcile secret encrypt`")
	}
	if len(ids) == 0 {
		return nil, errors.New("the controller has no secrets key")
	}
	r, err := age.Decrypt(bytes.NewReader(raw), ids...)
	if err != nil {
		var noMatch *age.NoIdentityMatchError
		if errors.As(err, &noMatch) {
			return nil, errors.New("encrypted to another key: re-encrypt it with `reconcile secret encrypt --recipient $(cat DATA/age.recipient)`")
		}
		return nil, fmt.Errorf("cannot decrypt: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cannot decrypt (ciphertext damaged or truncated): %v", err)
	}
	return out, nil
}

// Decrypt returns a copy of s with every encrypted value under data and
// stringData decrypted (s itself may be shared with the validator's cache
// and is not changed). The error names the keys that failed, never a value.
func Decrypt(s *corev1.Secret, ids ...age.Identity) (*corev1.Secret, error) {
	out := s.DeepCopy()
	var bad []string
	for k, v := range out.Data {
		if !IsEncrypted(v) {
			continue
		}
		p, err := DecryptValue(v, ids...)
		if err != nil {
			bad = append(bad, "data."+k+": "+err.Error())
			continue
		}
		out.Data[k] = p
	}
	for k, v := range out.StringData {
		if !strings.HasPrefix(v, Prefix) {
			continue
		}
		p, err := DecryptValue([]byte(v), ids...)
		if err != nil {
			bad = append(bad, "stringData."+k+": "+err.Error())
			continue
		}
		out.StringData[k] = string(p)
	}
	if len(bad) > 0 {
		sort.Strings(bad)
		return nil, errors.New(strings.Join(bad, "; "))
	}
	return out, nil
}
