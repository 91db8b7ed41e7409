package apiclient

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/reconcile-dev/reconcile/reconcile/apierrors"
)

// goPlainToTLS is what Go's HTTP server answers (400) to a plain HTTP
// request on a TLS port.
const goPlainToTLS = "Client sent an HTTP request to an HTTPS server"

// plainToTLS is the error for a plain http:// request that reached a TLS
// port, nil for any other answer.
func plainToTLS(base string, code int, body []byte) error {
	if code != http.StatusBadRequest || !bytes.Contains(body, []byte(goPlainToTLS)) {
		return nil
	}
	return apierrors.New(apierrors.ReasonBadRequest, "the controller at %s serves HTTPS: use %s (the client config the controller wrote, DATA/admin.conf, has the https:// URL and the cluster CA)", base, HTTPSURL(base))
}

// HTTPSURL is an http:// URL with the https:// scheme.
func HTTPSURL(u string) string {
	if rest, ok := strings.CutPrefix(u, "http://"); ok {
		return "https://" + rest
	}
	return u
}

// unreachable says why the controller could not be reached, in the words
// that help: a certificate the cluster CA did not sign, a TLS client
// against a plain server, or nothing listening.
func (c *Client) unreachable(base string, err error) error {
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var recordHeader tls.RecordHeaderError
	switch {
	case errors.As(err, &unknown):
		return fmt.Errorf("the controller at %s presented a certificate that the client config's certificateAuthority did not sign: %w (is this config for another cluster? take the CA from that controller's DATA/admin.conf)", base, err)
	case errors.As(err, &hostname):
		return fmt.Errorf("the controller's certificate does not name %s: %w (restart the controller with --tls-san for this name or address, or use a name it lists)", base, err)
	case errors.As(err, &recordHeader) || strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("the server at %s answers plain HTTP, not TLS: %w (is it a reconcile controller of this version?)", base, err)
	}
	return fmt.Errorf("cannot reach the controller at %s: %w (is `reconcile up` or `reconcile controller` running? set --server or RECONCILE_SERVER)", base, err)
}

// serverOf is the server URL an answer came from (scheme and host of its
// request), for messages.
func serverOf(resp *http.Response) string {
	if resp.Request == nil || resp.Request.URL == nil {
		return ""
	}
	return resp.Request.URL.Scheme + "://" + resp.Request.URL.Host
}
