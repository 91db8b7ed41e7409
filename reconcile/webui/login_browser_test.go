package webui_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reconcile-dev/reconcile/reconcile/apiserver"
	"github.com/reconcile-dev/reconcile/reconcile/webui/webuitest"
)

// TestBrowserLogin drives the token login page in Chromium against an API
// server that needs a token: a wrong token is refused on the page, the
// right one opens the overview and stays in sessionStorage (no cookie),
// and logging out forgets it.
func TestBrowserLogin(t *testing.T) {
	st := bigCluster(t, 3)
	hs := httptest.NewServer((&apiserver.Server{Store: st, Token: "s3cret-admin-token"}).Handler())
	t.Cleanup(hs.Close)
	ctx, con := webuitest.Browser(t)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	eval := func(js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return v
	}
	if err := webuitest.Open(ctx, hs.URL+"/#/tree/apps/shop", "login"); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#token"), "wrong"), chromedp.Click(chromedp.CSS("form.login button[type=submit]"))); err != nil {
		t.Fatal(err)
	}
	if _, err := webuitest.WaitText(ctx, "form.login .page-error", "not accepted", 30*time.Second); err != nil {
		t.Fatal(err)
	}
	eval(`document.querySelector("#token").value = ""`)
	if err := chromedp.Do(ctx, chromedp.SendKeys(chromedp.CSS("#token"), "s3cret-admin-token"),
		chromedp.Click(chromedp.CSS("form.login button[type=submit]")), webuitest.WaitReady("tree")); err != nil {
		t.Fatalf("log in: %v", err)
	}
	if got := eval(`document.cookie + "|" + sessionStorage.getItem("reconcile.token")`); got != "|s3cret-admin-token" {
		t.Errorf("cookie|sessionStorage = %q, want the token in sessionStorage only", got)
	}
	if who := eval(`document.querySelector("#who").textContent`); !strings.Contains(who, "(admin)") {
		t.Errorf("who: %q", who)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#who button")), webuitest.WaitReady("login")); err != nil {
		t.Fatalf("log out: %v", err)
	}
	if got := eval(`String(sessionStorage.getItem("reconcile.token"))`); got != "null" {
		t.Errorf("after logging out the token is still kept: %q", got)
	}
	// The 401s of the wrong token and of the first visit are the login
	// flow itself; anything else is a fault.
	saw401 := false
	for _, e := range con.Errors() {
		if !strings.Contains(e, "401") && !webuitest.Environmental(e) {
			t.Errorf("browser console: %s", e)
		}
		saw401 = saw401 || strings.Contains(e, "401")
	}
	if !saw401 {
		t.Error("the console record holds none of the login flow's 401s: is it listening? (TestE2EWebUI relies on it)")
	}
}
