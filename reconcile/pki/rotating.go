package pki

import (
	"context"
	"crypto/tls"
	"sync"
	"time"
)

// Rotating is a key pair kept fresh while a process runs: Refresh re-runs
// its ensure function (EnsureServing, EnsureKeyPair), which reissues the
// pair when NeedsRenewal says so, and the TLS callbacks always hand out the
// current pair, so a renewed certificate is served without a restart.
type Rotating struct {
	ensure func(now time.Time) (*KeyPair, bool, error)
	chain  []byte // DER of the CA, appended after the leaf (nil: leaf only)
	now    func() time.Time

	mu   sync.RWMutex
	cert *tls.Certificate
	leaf *KeyPair
}

// NewRotating ensures the pair once (an error here is a start-up error)
// and returns it as a Rotating. With withChain the served chain is
// [leaf, CA], so a client can read the CA from the handshake (join pins it
// by hash). now is the clock (time.Now when nil).
func (ca *CA) NewRotating(ensure func(now time.Time) (*KeyPair, bool, error), withChain bool, now func() time.Time) (*Rotating, error) {
	if now == nil {
		now = time.Now
	}
	r := &Rotating{ensure: ensure, now: now}
	if withChain {
		r.chain = ca.Cert.Raw
	}
	if _, err := r.Refresh(); err != nil {
		return nil, err
	}
	return r, nil
}

// Refresh ensures the pair at the clock's now and swaps it in; renewed
// says whether a new certificate was issued.
func (r *Rotating) Refresh() (renewed bool, err error) {
	kp, renewed, err := r.ensure(r.now())
	if err != nil {
		return false, err
	}
	r.mu.RLock()
	same := r.leaf != nil && r.leaf.Cert.Equal(kp.Cert)
	r.mu.RUnlock()
	if same {
		return renewed, nil
	}
	c, err := kp.TLS()
	if err != nil {
		return false, err
	}
	if r.chain != nil {
		c.Certificate = append(c.Certificate, r.chain)
	}
	r.mu.Lock()
	r.cert, r.leaf = &c, kp
	r.mu.Unlock()
	return renewed, nil
}

// Current is the pair being served.
func (r *Rotating) Current() *KeyPair {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.leaf
}

// GetCertificate is tls.Config.GetCertificate for a server.
func (r *Rotating) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

// GetClientCertificate is tls.Config.GetClientCertificate for a client.
func (r *Rotating) GetClientCertificate(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.cert, nil
}

// RefreshEvery is how often a running controller re-ensures its pairs:
// renewal starts with a third of a year left, so an hour is plenty.
const RefreshEvery = time.Hour

// Run refreshes every interval until ctx ends; failures go to onErr (a
// log line: the old certificate is still valid for months).
func (r *Rotating) Run(ctx context.Context, every time.Duration, onRenew func(*KeyPair), onErr func(error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		renewed, err := r.Refresh()
		switch {
		case err != nil && onErr != nil:
			onErr(err)
		case renewed && onRenew != nil:
			onRenew(r.Current())
		}
	}
}
