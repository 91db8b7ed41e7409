package pki

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/testkit"
)

// A running server's certificate is renewed by Refresh once it is due, and
// GetCertificate hands out the new one at once: no restart.
func TestRotatingRenewsWhileServing(t *testing.T) {
	dir := t.TempDir()
	clock := testkit.NewClock(t0)
	ca, err := LoadOrCreateCA(dir, clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	r, err := ca.NewRotating(func(now time.Time) (*KeyPair, bool, error) {
		return ca.EnsureServing(dir, "10.0.0.1:7420", nil, now)
	}, true, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := r.GetCertificate(&tls.ClientHelloInfo{})
	if len(first.Certificate) != 2 || string(first.Certificate[1]) != string(ca.Cert.Raw) {
		t.Fatalf("served chain has %d certificates, want [leaf, CA]", len(first.Certificate))
	}
	serial := first.Leaf.SerialNumber

	clock.Set(RenewAt(first.Leaf).Add(-time.Minute)) // not yet due
	if renewed, err := r.Refresh(); err != nil || renewed {
		t.Fatalf("refresh before due: renewed %v err %v", renewed, err)
	}
	if c, _ := r.GetCertificate(nil); c.Leaf.SerialNumber.Cmp(serial) != 0 {
		t.Fatal("a certificate that is not due was replaced")
	}

	clock.Set(RenewAt(first.Leaf).Add(time.Minute)) // due
	if renewed, err := r.Refresh(); err != nil || !renewed {
		t.Fatalf("refresh when due: renewed %v err %v", renewed, err)
	}
	now, _ := r.GetCertificate(nil)
	if now.Leaf.SerialNumber.Cmp(serial) == 0 {
		t.Fatal("GetCertificate still serves the old certificate")
	}
	if !now.Leaf.NotAfter.After(first.Leaf.NotAfter) || len(now.Certificate) != 2 {
		t.Errorf("renewed until %v (was %v), chain %d", now.Leaf.NotAfter, first.Leaf.NotAfter, len(now.Certificate))
	}
	if cc, _ := r.GetClientCertificate(nil); cc != now {
		t.Error("the client side hands out another pair")
	}
	// What a restart finds on disk is the renewed pair.
	if kp, err := LoadKeyPair(dir, ServingFile); err != nil || !kp.Cert.Equal(now.Leaf) {
		t.Errorf("on disk: %v", err)
	}
}
