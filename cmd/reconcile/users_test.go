package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

func TestPrintUsers(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printUsers(&b, []apitypes.UserCredential{
		{Name: "ann", Role: "viewer", Kind: apitypes.UserKindCertificate, Serial: "1f", Created: now.Add(-time.Hour), Expires: now.Add(364 * 24 * time.Hour)},
		{Name: "ann", Role: "viewer", Kind: apitypes.UserKindToken, Created: now.Add(-2 * time.Hour), Expires: now.Add(-time.Hour)},
		{Name: "ci", Role: "deployer", Kind: apitypes.UserKindToken, Created: now.Add(-time.Minute), Expires: now.Add(30 * 24 * time.Hour)},
	}, now)
	want := `NAME   ROLE       KIND    EXPIRES           AGE
ann    viewer     cert    in 364d           60m
ann    viewer     token   expired 60m ago   120m
ci     deployer   token   in 30d            60s
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
