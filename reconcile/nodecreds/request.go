package nodecreds

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"net"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
	"github.com/reconcile-dev/reconcile/reconcile/pki"
	"github.com/reconcile-dev/reconcile/schema/excerpt"
)

// Bounds of a join or renewal request.
const (
	MaxRequestBytes = 64 << 10
	MaxAddresses    = 16
)

// Request is a checked join or renewal request.
type Request struct {
	Node string
	IPs  []net.IP
	CSR  *x509.CertificateRequest
}

// ParseJoinRequest decodes and checks the body of POST /api/v1/join: one
// JSON object, no unknown fields, a DNS-1123 node name, IP addresses, a CSR
// whose signature holds with an ECDSA P-256 (or stronger) key. Every error
// is a BadRequest naming the field.
func ParseJoinRequest(body []byte) (Request, error) {
	var in apitypes.JoinRequest
	if err := DecodeStrict(body, &in); err != nil {
		return Request{}, err
	}
	if errs := validation.IsDNS1123Subdomain(in.Node); in.Node == "" || len(errs) > 0 {
		return Request{}, badRequest("node: %s is not a valid node name (%s)", excerpt.Quote(in.Node), strings.Join(append(errs, "a DNS-1123 subdomain: lower case letters, digits, '-' and '.'")[:1], "; "))
	}
	return checkRequest(in.Node, in.Addresses, in.CSR)
}

// ParseCertificateRequest decodes and checks the body of a renewal (POST
// /api/v1/nodes/{name}/certificate) for node.
func ParseCertificateRequest(node string, body []byte) (Request, error) {
	var in apitypes.CertificateRequest
	if err := DecodeStrict(body, &in); err != nil {
		return Request{}, err
	}
	return checkRequest(node, in.Addresses, in.CSR)
}

// DecodeStrict decodes body, at most MaxRequestBytes, into v: one JSON
// value, no unknown fields; errors are BadRequest (RequestTooLarge) for
// the API to answer as they are (join, renewal, people's credentials).
func DecodeStrict(body []byte, v any) error {
	if len(body) > MaxRequestBytes {
		return apierrors.New(apierrors.ReasonRequestTooLarge, "request body is %d bytes, at most %d", len(body), MaxRequestBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("bad request body: %s", err)
	}
	if dec.More() {
		return badRequest("bad request body: more than one JSON value")
	}
	return nil
}

func checkRequest(node string, addrs []string, csrPEM string) (Request, error) {
	if len(addrs) > MaxAddresses {
		return Request{}, badRequest("addresses: %d given, at most %d", len(addrs), MaxAddresses)
	}
	req := Request{Node: node}
	for i, a := range addrs {
		ip := net.ParseIP(a)
		if ip == nil || ip.IsUnspecified() {
			return Request{}, badRequest("addresses[%d]: %s is not an IP address of the node", i, excerpt.Quote(a))
		}
		req.IPs = append(req.IPs, ip)
	}
	if csrPEM == "" {
		return Request{}, badRequest("csr: missing: a PEM certificate signing request made with the node's key")
	}
	csr, err := pki.ParseCSR([]byte(csrPEM))
	if err != nil {
		return Request{}, badRequest("csr: %s", err)
	}
	req.CSR = csr
	return req, nil
}

// KeyHash identifies a public key: "sha256:<hex>" of its DER
// SubjectPublicKeyInfo (the form of pki.CAHash).
func KeyHash(csr *x509.CertificateRequest) string {
	sum := sha256.Sum256(csr.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

func badRequest(format string, args ...any) error {
	return apierrors.New(apierrors.ReasonBadRequest, format, args...)
}
