package webuitest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Chromium finds the browser: $RECONCILE_CHROMIUM, then chromium and
// chromium-browser on PATH; "" when there is none.
func Chromium() string {
	if p := os.Getenv("RECONCILE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Console collects what the page reports as wrong: console.error and
// console.warn calls, uncaught exceptions, and browser log entries of
// level error (failed loads, CSP violations).
type Console struct {
	mu      sync.Mutex
	entries []string
}

func (c *Console) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries = append(c.entries, s)
}

// Errors returns what was collected so far.
func (c *Console) Errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.entries...)
}

// Browser starts a headless Chromium for t (skipping when none is
// installed) and returns a tab's context and its console record. The
// flags: no sandbox (tests run as root), and none of Chromium's
// background connections (component updates, sync, QUIC), which a closed
// network refuses and which would otherwise be logged as errors.
func Browser(t testing.TB) (context.Context, *Console) {
	t.Helper()
	bin := Chromium()
	if bin == "" {
		t.Skip("web UI browser test needs Chromium: run `make setup` (Debian package chromium) or set RECONCILE_CHROMIUM")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// The controller's certificate is signed by the cluster CA, which
		// this throwaway profile does not trust (the login page test).
		chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	con := &Console{}
	messages := chromedp.Console(ctx) // subscribed now: nothing the page says is lost
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleWarning, chromedp.ConsoleException:
				con.add(fmt.Sprintf("%s (%s:%d)", m.String(), m.URL, m.Line+1))
			}
		}
	}()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium (%s): %v", bin, err)
	}
	return ctx, con
}

// ScreenshotDir is where screenshots go: $RECONCILE_SCREENSHOTS when set
// (kept after the test), else a temporary directory of t. It logs it.
func ScreenshotDir(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("RECONCILE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("web UI screenshots: %s", dir)
	return dir
}

// Screenshot writes the full page as dir/name.png.
func Screenshot(ctx context.Context, dir, name string) error {
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

// WaitReady waits until the page named page (overview, tree, object,
// history, login) has rendered: app.js sets main's data-ready after each
// render.
func WaitReady(page string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`main[data-ready=%q]`, page)))
}

// WaitText polls until the element sel's text contains want, or timeout.
func WaitText(ctx context.Context, sel, want string, timeout time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	var text string
	for {
		tctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		t, err := chromedp.Run(tctx, chromedp.Evaluate[string](fmt.Sprintf(`(document.querySelector(%q)||{}).textContent||""`, sel)))
		text = t
		cancel()
		if err == nil && strings.Contains(text, want) {
			return text, nil
		}
		if time.Now().After(deadline) {
			return text, fmt.Errorf("%s does not show %q after %s (err %v); it shows: %s", sel, want, timeout, err, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Open navigates to url and waits until page has rendered (WaitReady),
// navigating again, up to three times, when it has not within 30 s. On a
// machine whose network interfaces change under the browser (tests that
// create network namespaces, veth pairs and iptables rules run beside
// this one) Chromium aborts loads in flight with ERR_NETWORK_CHANGED, also
// on loopback; a person would reload, so the test does.
func Open(ctx context.Context, url, page string) error {
	var err error
	for range 3 {
		tctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err = chromedp.Do(tctx, chromedp.Navigate("about:blank"), chromedp.Navigate(url), WaitReady(page))
		cancel()
		if err == nil {
			return nil
		}
	}
	return fmt.Errorf("open %s (page %s): %w", url, page, err)
}

// Environmental reports whether a console entry is the host's network
// changing under the browser (net::ERR_NETWORK_CHANGED), not a fault of
// the page: see Open.
func Environmental(entry string) bool {
	return strings.Contains(entry, "ERR_NETWORK_CHANGED")
}
