package pki

import (
	"net"
	"os"
	"strings"
	"time"
)

// ServingNames are the SANs of the API's serving certificate: localhost
// and 127.0.0.1 (the CLI on the controller's machine), the host name, the
// address it listens on when that is a specific one, every address of the
// machine's interfaces when it listens on all of them (":7420", "0.0.0.0"),
// and extra names and addresses (--tls-san).
func ServingNames(listen string, extra []string) (dns []string, ips []net.IP) {
	dns = []string{"localhost"}
	ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	if h, err := os.Hostname(); err == nil && h != "" {
		dns = append(dns, h)
	}
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		host = listen
	}
	if ip := net.ParseIP(host); ip != nil && !ip.IsUnspecified() {
		ips = append(ips, ip)
	} else if host != "" && ip == nil {
		dns = append(dns, host)
	} else {
		ips = append(ips, interfaceIPs()...)
	}
	for _, e := range extra {
		e = strings.TrimSpace(e)
		if ip := net.ParseIP(e); ip != nil {
			ips = append(ips, ip)
		} else if e != "" {
			dns = append(dns, e)
		}
	}
	return dns, ips
}

func interfaceIPs() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []net.IP
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLinkLocalUnicast() {
			out = append(out, n.IP)
		}
	}
	return out
}

// ServingFile is the base name of the API's serving pair in DATA/pki.
const ServingFile = "serving"

// EnsureServing returns the API's serving pair in dir, issuing it when
// missing, due for renewal, or made for other names (see EnsureKeyPair).
func (ca *CA) EnsureServing(dir, listen string, extraSANs []string, now time.Time) (*KeyPair, bool, error) {
	dns, ips := ServingNames(listen, extraSANs)
	return ca.EnsureKeyPair(dir, ServingFile, Request{Subject: ServingSubject(), DNSNames: dns, IPs: ips, Usage: ServerAuth}, now)
}
