package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/reconcile-dev/reconcile/reconcile/clientconfig"
	"github.com/reconcile-dev/reconcile/reconcile/testkit"
	"github.com/reconcile-dev/reconcile/reconcile/webui/webuitest"
)

const uiDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: e2e
spec:
  replicas: %d
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: hello
          image: localhost/reconcile-hello:v1
          imagePullPolicy: IfNotPresent
          env:
            - name: LOG_EVERY
              value: 500ms
`

const uiService = `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: e2e
spec:
  selector: {app: web}
  ports:
    - port: 80
      targetPort: 8080
`

// TestE2EWebUI drives the web UI in headless Chromium against a real `up`
// through `reconcile ui` (the loopback proxy with the CLI's credentials).
// One cluster for every subtest: starting `up` is the expensive part. The
// login page is driven once more on the controller's own HTTPS address with
// a viewer's token (reconcile/webui's TestBrowserLogin covers its errors).
func TestE2EWebUI(t *testing.T) {
	if webuitest.Chromium() == "" {
		t.Skip("web UI test needs Chromium: run `make setup` (Debian package chromium)")
	}
	c := newCluster(t, map[string]string{"namespace.yaml": e2eNamespace, "web.yaml": fmt.Sprintf(uiDeployment, 1), "svc.yaml": uiService})
	pods := c.waitRunning(1, "localhost/reconcile-hello:v1")
	sts, err := c.api().Sources(context.Background())
	if err != nil || len(sts) != 1 {
		t.Fatalf("sources: %v %v", sts, err)
	}
	source := sts[0].Name
	head := testkit.Run(t, c.repo, "rev-parse", "HEAD")

	port := freePort(t)
	ui := fmt.Sprintf("http://127.0.0.1:%d", port)
	c.startProc("ui", "ui", "--listen", fmt.Sprintf("127.0.0.1:%d", port), "--config-file", c.adminConfig(), "--server", "https://"+c.server)
	t.Cleanup(func() { stopProc(c, "ui") })
	c.eventually(20*time.Second, "reconcile ui serves", func() error {
		resp, err := http.Get(ui + "/api/v1/ui/whoami")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return fmt.Errorf("whoami through the proxy: %s", resp.Status)
		}
		return nil
	})
	if !strings.Contains(c.logs(), "Serving the web UI of https://"+c.server+" at "+ui+"/") {
		t.Errorf("reconcile ui did not print its URL; log:\n%s", tail(c.logs(), 20))
	}

	ctx, con := webuitest.Browser(t)
	shots := webuitest.ScreenshotDir(t)
	shot := func(t *testing.T, name string) {
		t.Helper()
		if err := webuitest.Screenshot(ctx, shots, name); err != nil {
			t.Error(err)
		}
	}
	do := func(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		defer cancel()
		if err := chromedp.Do(tctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	open := func(t *testing.T, url, page string) {
		t.Helper()
		if err := webuitest.Open(ctx, url, page); err != nil {
			t.Fatalf("%v\nreconcile log (tail):\n%s", err, tail(c.logs(), 30))
		}
	}
	eval := func(t *testing.T, js string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	waitText := func(t *testing.T, sel, want string) string {
		t.Helper()
		text, err := webuitest.WaitText(ctx, sel, want, 60*time.Second)
		if err != nil {
			t.Fatalf("%v\nreconcile log (tail):\n%s", err, tail(c.logs(), 30))
		}
		return text
	}

	t.Run("overview and tree render", func(t *testing.T) {
		open(t, ui+"/#/", "overview")
		waitText(t, `[data-source] .running`, head[:8])
		waitText(t, `#main`, "e2e-node")
		if got := eval(t, `document.querySelector("#who").textContent`); !strings.Contains(got, "admin") {
			t.Errorf("who: %q, want the admin of the CLI's config (no login through reconcile ui)", got)
		}
		shot(t, "overview")
		open(t, ui+"/#/tree/"+source+"/e2e", "tree")
		// Deployment → ReplicaSet → Pod and Service → Endpoints, coloured by health.
		for _, want := range []string{
			`ul.tree > li > a.node[data-kind=Deployment][data-name=web]`,
			`a.node[data-kind=Deployment] + ul > li > a.node[data-kind=ReplicaSet]`,
			`a.node[data-kind=ReplicaSet] + ul > li > a.node[data-kind=Pod][data-name="` + pods[0].Name + `"]`,
			`ul.tree > li > a.node[data-kind=Service][data-name=web] + ul > li > a.node[data-kind=Endpoints][data-name=web]`,
		} {
			c.eventually(30*time.Second, "tree node "+want, func() error {
				if eval(t, fmt.Sprintf(`String(!!document.querySelector(%q))`, want)) != "true" {
					return fmt.Errorf("not in the tree")
				}
				return nil
			})
		}
		c.eventually(30*time.Second, "healthy pod node", func() error {
			if cls := eval(t, `document.querySelector("a.node[data-kind=Pod]").className`); !strings.Contains(cls, "h-Healthy") {
				return fmt.Errorf("pod node class %q", cls)
			}
			return nil
		})
		shot(t, "tree")
		// Readable on a phone: nothing wider than the screen.
		do(t, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
		open(t, ui+"/#/", "overview")
		if w := eval(t, `String(document.documentElement.scrollWidth - window.innerWidth)`); w != "0" {
			t.Errorf("the overview is %spx wider than a 390px phone screen", w)
		}
		shot(t, "overview-phone")
		do(t, "desktop viewport", chromedp.EmulateViewport(1280, 900))
	})

	t.Run("a new commit shows without a reload", func(t *testing.T) {
		open(t, ui+"/#/", "overview")
		eval(t, `window.__sameDocument = "yes"`)
		commit := c.commit("scale web to 2", map[string]string{"web.yaml": fmt.Sprintf(uiDeployment, 2)})
		waitText(t, `[data-source] .running`, commit[:8])
		if eval(t, `String(window.__sameDocument)`) != "yes" {
			t.Fatal("the page reloaded: the commit must arrive through the change stream")
		}
		// The tree too: a new file's object appears under the open page.
		do(t, "open the tree in the same document", chromedp.Evaluate[chromedp.Void](`location.hash = "#/tree/`+source+`/e2e"`), webuitest.WaitReady("tree"))
		c.commit("add a ConfigMap", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: extra\n  namespace: e2e\ndata:\n  k: v\n"})
		c.eventually(60*time.Second, "the new ConfigMap in the open tree", func() error {
			if eval(t, `String(!!document.querySelector("ul.tree > li > a.node[data-kind=ConfigMap][data-name=extra]"))`) != "true" {
				return fmt.Errorf("not in the tree yet")
			}
			return nil
		})
		if eval(t, `String(window.__sameDocument)`) != "yes" {
			t.Fatal("the tree page reloaded")
		}
	})

	t.Run("an invalid commit shows its file:line:col error", func(t *testing.T) {
		open(t, ui+"/#/", "overview")
		bad := c.commit("a typo", map[string]string{"web.yaml": strings.Replace(fmt.Sprintf(uiDeployment, 2), "replicas: 2", "replicas: 2\n  replicaz: 3", 1)})
		text := waitText(t, `[data-source] .errors`, bad[:8])
		if !regexp.MustCompile(`web\.yaml:\d+:\d+: `).MatchString(text) {
			t.Errorf("the refused commit's errors lack file:line:col: %q", text)
		}
		shot(t, "invalid-commit")
	})

	t.Run("logs stream on the object page", func(t *testing.T) {
		open(t, ui+"/#/object/Pod/e2e/"+pods[0].Name, "object")
		waitText(t, `#h-git + p`, "web.yaml")
		if got := eval(t, `document.querySelector("pre[aria-label='Manifest in git']").textContent`); !strings.Contains(got, "kind: Deployment") {
			t.Errorf("the pod's manifest from git is not its Deployment's file: %q", got)
		}
		text := waitText(t, `#log`, "tick ")
		first := lastTick(text)
		text = waitText(t, `#log`, fmt.Sprintf("tick %d\n", first+2)) // lines keep arriving on the open stream
		if !strings.Contains(text, "hello v1 listening") && !strings.Contains(text, "tick") {
			t.Errorf("log: %q", text)
		}
		shot(t, "object-pod")
	})

	t.Run("history shows the diff and rollback buttons", func(t *testing.T) {
		open(t, ui+"/#/history/"+source, "history")
		waitText(t, `.diffbox`, "create ConfigMap/e2e/extra") // the newest two commits
		if n := eval(t, `String(document.querySelectorAll("button.rollback").length)`); n == "0" {
			t.Error("an admin sees no rollback button")
		}
		shot(t, "history")
		// The buttons work through the proxy (same-origin POSTs): roll back
		// to the first commit, which pins the source, then resume.
		// Live refreshes may redraw the table between the two clicks:
		// click again until the page says the source is pinned.
		c.eventually(60*time.Second, "roll back from the page", func() error {
			if strings.Contains(eval(t, `(document.querySelector(".pinned") || {}).textContent || ""`), "Pinned at "+head[:8]) {
				return nil
			}
			tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			chromedp.Do(tctx, chromedp.Click(chromedp.CSS(`button.rollback[data-commit="`+head+`"]`)), chromedp.Click(chromedp.CSS("button.danger")))
			return fmt.Errorf("not pinned yet")
		})
		// A live refresh may replace the button between finding and
		// clicking it: click again until the source is resumed.
		c.eventually(60*time.Second, "click resume", func() error {
			_, err := chromedp.Run(ctx, chromedp.Click(chromedp.CSS("#resume")))
			return err
		})
		c.eventually(60*time.Second, "the source follows its ref again", func() error {
			if eval(t, `String(!!document.querySelector(".pinned"))`) != "false" {
				return fmt.Errorf("still pinned on the page")
			}
			return nil
		})
	})

	t.Run("keyboard reaches every control", func(t *testing.T) {
		for _, page := range []struct{ hash, ready string }{{"#/", "overview"}, {"#/tree/" + source + "/e2e", "tree"}, {"#/history/" + source, "history"}, {"#/object/Pod/e2e/" + pods[0].Name, "object"}} {
			open(t, ui+"/"+page.hash, page.ready)
			missed := tabThrough(t, ctx, func(js string) string { return eval(t, js) })
			if len(missed) > 0 {
				t.Errorf("%s: Tab never reached %v", page.ready, missed)
			}
		}
		// The focus is visible: an outline on the focused control.
		open(t, ui+"/#/", "overview")
		do(t, "focus the skip link", chromedp.KeyEvent(kb.Tab))
		if o := eval(t, `getComputedStyle(document.activeElement).outlineStyle`); o == "none" {
			t.Errorf("the focused %s has no outline", eval(t, `document.activeElement.outerHTML`))
		}
	})

	t.Run("login page on the controller with a viewer's token", func(t *testing.T) {
		out, err := runBin("user", "create", "vic", "--role", "viewer", "--token", "--data", c.data)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "vic.conf")
		if err := os.WriteFile(path, []byte(out), 0o600); err != nil {
			t.Fatal(err)
		}
		vic, err := clientconfig.Load(path)
		if err != nil || vic.Token == "" {
			t.Fatalf("vic's config: %v", err)
		}
		// A second tab (its console is its own: the login flow's expected
		// 401s stay out of the first tab's record), on the controller's own
		// HTTPS address, whose CA the throwaway browser profile ignores.
		tab, cancel := chromedp.NewContext(ctx)
		defer cancel()
		tctx, cancel2 := context.WithTimeout(tab, 90*time.Second)
		defer cancel2()
		err = chromedp.Do(tctx,
			chromedp.Navigate("https://"+c.server+"/#/history/"+source),
			webuitest.WaitReady("login"),
			chromedp.SendKeys(chromedp.CSS("#token"), vic.Token),
			chromedp.Click(chromedp.CSS("form.login button[type=submit]")),
			webuitest.WaitReady("history"))
		if err != nil {
			t.Fatalf("log in with a viewer's token: %v", err)
		}
		who, _ := chromedp.Run(tctx, chromedp.Evaluate[string](`document.querySelector("#who").textContent`))
		buttons, _ := chromedp.Run(tctx, chromedp.Evaluate[int](`document.querySelectorAll("button.rollback, button.danger, #resume").length`))
		if !strings.Contains(who, "vic (viewer)") || buttons != 0 {
			t.Errorf("a viewer sees who=%q and %d rollback/resume buttons, want none", who, buttons)
		}
	})

	t.Run("the console holds no errors", func(t *testing.T) {
		var errs []string
		for _, e := range con.Errors() {
			if webuitest.Environmental(e) {
				t.Logf("not the page's fault: %s", e)
				continue
			}
			errs = append(errs, e)
		}
		if len(errs) > 0 {
			t.Errorf("browser console:\n%s", strings.Join(errs, "\n"))
		}
	})
}

var tickRE = regexp.MustCompile(`tick (\d+)`)

func lastTick(log string) int {
	m := tickRE.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		return 0
	}
	n, _ := strconv.Atoi(m[len(m)-1][1])
	return n
}

// tabThrough numbers the page's visible interactive controls, presses Tab
// until the focus has gone round (or twice their number), and returns the
// controls it never reached. A live refresh during the walk replaces the
// numbered elements: the walk is then made again (up to five times).
func tabThrough(t *testing.T, ctx context.Context, eval func(string) string) []string {
	t.Helper()
	var missed []string
	for attempt := 0; attempt < 5; attempt++ {
		renders := eval(`document.body.dataset.renders || ""`)
		missed = tabOnce(t, ctx, eval)
		if eval(`document.body.dataset.renders || ""`) == renders {
			return missed
		}
		time.Sleep(500 * time.Millisecond)
	}
	return missed
}

func tabOnce(t *testing.T, ctx context.Context, eval func(string) string) []string {
	t.Helper()
	n, _ := strconv.Atoi(eval(`(() => {
	  const els = [...document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]:not([tabindex='-1'])")]
	    .filter((e) => !e.disabled && e.checkVisibility({checkVisibilityCSS: true}));
	  els.forEach((e, i) => e.dataset.kbd = String(i));
	  document.activeElement && document.activeElement.blur();
	  window.scrollTo(0, 0);
	  return String(els.length);
	})()`))
	if n == 0 {
		t.Fatal("no interactive control on the page")
	}
	seen := map[string]bool{}
	for i := 0; i < 2*n+4 && len(seen) < n; i++ {
		if _, err := chromedp.Run(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
			t.Fatal(err)
		}
		if k := eval(`(document.activeElement && document.activeElement.dataset.kbd) || ""`); k != "" {
			seen[k] = true
		}
	}
	var missed []string
	for i := 0; i < n; i++ {
		if !seen[strconv.Itoa(i)] {
			missed = append(missed, eval(fmt.Sprintf(`(document.querySelector("[data-kbd='%d']") || {outerHTML: "(replaced by a refresh)"}).outerHTML.slice(0, 120)`, i)))
		}
	}
	return missed
}
