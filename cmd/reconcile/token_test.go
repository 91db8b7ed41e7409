package main

import (
	"bytes"
	"testing"
	"time"

	"github.com/reconcile-dev/reconcile/reconcile/apitypes"
)

func TestPrintTokens(t *testing.T) {
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	printTokens(&b, []apitypes.Token{
		{ID: "abc123", Description: "node-b", Created: now.Add(-time.Hour), Expires: now.Add(23 * time.Hour), Uses: 2},
		{ID: "def456", Created: now.Add(-48 * time.Hour), Expires: now.Add(-24 * time.Hour)},
		{ID: "ghi789", Description: "lab", Created: now.Add(-time.Minute)},
	}, now)
	want := `ID       EXPIRES           USES   AGE   DESCRIPTION
abc123   in 23h            2      60m   node-b
def456   expired 24h ago   0      2d    <none>
ghi789   never             0      60s   lab
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}
