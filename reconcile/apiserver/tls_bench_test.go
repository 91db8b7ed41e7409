package apiserver

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/reconcile-dev/reconcile/reconcile/apiclient"
	"github.com/reconcile-dev/reconcile/reconcile/store"
)

// BenchmarkAPIRoundTrip is what one API call of an agent costs over plain
// HTTP and over TLS (the cluster CA's serving pair, the admin's client
// certificate verified on each new connection): a GET of the pods bound to
// a node on a kept-alive connection, and the same on a new connection each
// time (a full TLS handshake: ECDSA P-256 both ways). It is the per-request
// part of what TLS adds to commit → running (issue 9's speed section).
func BenchmarkAPIRoundTrip(b *testing.B) {
	st, err := store.OpenInMemory()
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if err := st.Update(func(tx *store.Tx) error {
		for _, name := range []string{"a", "b", "c"} {
			if err := tx.Create(pod(name, "n1")); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	plain := httptest.NewServer((&Server{Store: st, Token: "tok"}).Handler())
	defer plain.Close()
	server, p := serveTLS(b, st, "tok")
	cfg := p.AdminConfig(server, "")
	tc, err := cfg.TLSConfig()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	list := func(b *testing.B, c func() *apiclient.Client) {
		for i := 0; i < b.N; i++ {
			if _, _, err := c().List(ctx, "Pod", "", nil); err != nil {
				b.Fatal(err)
			}
		}
	}
	plainClient := apiclient.New(plain.URL, "tok")
	tlsClient := apiclient.NewTLS(server, "", tc)
	b.Run("plain", func(b *testing.B) { list(b, func() *apiclient.Client { return plainClient }) })
	b.Run("tls", func(b *testing.B) { list(b, func() *apiclient.Client { return tlsClient }) })
	b.Run("plain-new-conn", func(b *testing.B) { list(b, func() *apiclient.Client { return apiclient.New(plain.URL, "tok") }) })
	b.Run("tls-new-conn", func(b *testing.B) { list(b, func() *apiclient.Client { return apiclient.NewTLS(server, "", tc) }) })
}
