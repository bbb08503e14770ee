package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"

	"plenary/internal/inventory"
)

// EnvRequired makes a missing Chromium a failure instead of a skip; CI sets it.
const EnvRequired = "PLENARY_E2E_REQUIRED"

// EnvChromium names the browser executable, when it is not on PATH as
// chromium, chromium-browser or google-chrome.
const EnvChromium = "PLENARY_CHROMIUM"

// EnvScreenshots, when set, is a directory where tests save screenshots
// of the pages they visit, for a person to look at.
const EnvScreenshots = "PLENARY_E2E_SCREENSHOTS"

// findChromium returns the browser to drive, or skips the test (fails it
// when PLENARY_E2E_REQUIRED is set) when there is none.
func findChromium(t testing.TB) string {
	t.Helper()
	candidates := []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}
	if p := os.Getenv(EnvChromium); p != "" {
		candidates = []string{p}
	}
	for _, c := range candidates {
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := "Chromium not found (looked for " + strings.Join(candidates, ", ") + "; set " + EnvChromium + " to its path, or install it: apt-get install chromium)"
	if os.Getenv(EnvRequired) != "" {
		t.Fatalf("%s, and %s is set", msg, EnvRequired)
	}
	t.Skip(msg)
	return ""
}

// browserOptions changes how newBrowser starts Chromium.
type browserOptions struct {
	// BlockCookies makes pages see cookies as disabled, as for a visitor
	// who switched them off.
	BlockCookies bool
	// Width and Height of the window; default 1280×900.
	Width, Height int
}

// newBrowser starts headless Chromium with a fresh profile and returns a
// chromedp context for one tab, valid until the test ends (at most two
// minutes). Each call starts its own browser.
func newBrowser(t testing.TB, o browserOptions) context.Context {
	t.Helper()
	exe := findChromium(t)
	if o.Width == 0 {
		o.Width, o.Height = 1280, 900
	}
	// Chromium's helpers may still write into the profile for a moment
	// after it exits, so the directory is removed by hand, not t.TempDir.
	profile, err := os.MkdirTemp("", "plenary-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(o.Width, o.Height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-breakpad", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("password-store", "basic"),
	}
	if o.BlockCookies {
		// Pages see cookies as switched off (navigator.cookieEnabled is
		// false, document.cookie neither reads nor writes). Headless
		// Chromium ignores the profile's "block all cookies" preference,
		// so tests that need to know no cookie was stored look in the
		// browser's jar too (see TestNoCookieBrowsing).
		opts = append(opts, chromedp.Flag("blink-settings", "cookieEnabled=false"))
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelCtx()
		cancelAlloc()
	})
	// The first action starts the browser; it must not run under a
	// timeout, or the timeout would end the browser.
	start := make(chan error, 1)
	go func() { start <- chromedp.Do(ctx) }()
	select {
	case err := <-start:
		if err != nil {
			t.Fatalf("starting %s: %v", exe, err)
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("%s did not start within a minute", exe)
	}
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	// Runs first (cleanups run last-registered first), while the browser
	// is still up: like every test server in internal/web, every browser
	// fails its test when it holds a cookie the inventory does not
	// declare (K1).
	t.Cleanup(func() { onlyDeclaredCookies(t, ctx) })
	return tctx
}

// onlyDeclaredCookies fails t for each cookie in the browser's jar that
// internal/inventory does not declare.
func onlyDeclaredCookies(t testing.TB, ctx context.Context) {
	t.Helper()
	check, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := chromedp.CallBrowser(check, storage.GetCookies, storage.GetCookiesParams{})
	if err != nil {
		t.Logf("reading the browser's cookies at the end of the test: %v", err)
		return
	}
	inv := inventory.Default()
	for _, c := range res.Cookies {
		if !inv.CookieDeclared(c.Name) {
			t.Errorf("the browser holds the cookie %q (from %s), which internal/inventory does not declare (K1)", c.Name, c.Domain)
		}
	}
}

// screenshot saves what the window shows of the current page as NAME.png in PLENARY_E2E_SCREENSHOTS,
// when that is set.
func screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv(EnvScreenshots)
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Error(err)
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Error(err)
		return
	}
	t.Logf("screenshot: %s", path)
}
