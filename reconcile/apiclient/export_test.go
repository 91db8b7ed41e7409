package apiclient

import (
	"context"
	"net"
)

// DialForTest dials addr with a dialer resolving names with lookup and
// returns the address it will try first next time.
func DialForTest(ctx context.Context, addr string, lookup func(context.Context, string) ([]string, error)) (net.Conn, string, error) {
	d := newDialer()
	d.lookup = lookup
	c, err := d.DialContext(ctx, "tcp", addr)
	host, _, _ := net.SplitHostPort(addr)
	return c, d.good[host], err
}
