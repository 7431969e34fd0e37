package caddymodule

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/authgate/authgate/internal/oidctest"
)

// chromiumPath is where Debian's chromium package puts the browser; .ci/run
// installs it when missing.
const chromiumPath = "/usr/bin/chromium"

// TestOIDCLoginAndLogoutInARealBrowser drives headless chromium through the
// provider's login form to the app and back out through RP-initiated
// logout: what the HTTP-client tests cannot show is that a real browser
// keeps the __Host- cookies on http://127.0.0.1, sends them across the
// provider's redirects, and follows the logout's 303s.
func TestOIDCLoginAndLogoutInARealBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test: skipped with -short")
	}
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI needs %s (.ci/run installs Debian's chromium): %v", chromiumPath, err)
		}
		t.Skipf("no %s: apt-get install chromium to run this test", chromiumPath)
	}
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("") // show the login form, as a real provider does
	e.p.SetUser("alice", map[string]any{"email": "alice@example.com"})
	ctx := newChromium(t)
	docs := recordNavigations(t, ctx)
	app := e.g.base + "/dashboard?tab=2"

	signIn(t, ctx, e, app, "alice")
	page := echoedHeaders(t, run(t, ctx, chromedp.Evaluate[string](`document.body.innerText`)))
	if page["X-Auth-User-Id"] != "alice" || page["X-Auth-Email"] != "alice@example.com" {
		t.Fatalf("the app saw user %q email %q, want alice", page["X-Auth-User-Id"], page["X-Auth-Email"])
	}
	wantOnlyTheSessionCookie(t, ctx, e.g.base)

	submitForm(t, ctx, "/.authgate/logout?redirect_uri=/bye")
	// /bye is an app route and the session is gone: it sends the browser
	// straight on to the login form.
	waitUntilAt(t, ctx, func(u *url.URL) bool { return strings.HasPrefix(u.String(), e.p.Issuer()+"/authorize?") })
	inBrowser(t, ctx, "waiting for the login form", chromedp.WaitVisible(chromedp.ID("username")))
	if got := e.p.Logouts(); len(got) != 1 || got[0].PostLogoutRedirectURI != e.g.base+"/bye" || got[0].IDTokenHint == "" {
		t.Fatalf("the provider saw %d logouts, want one with an ID token hint, back to /bye", len(got)) // no hint in logs: a token
	}
	if _, ok := cookies(t, ctx, e.g.base)[sessionCookieName]; ok {
		t.Fatal("the session cookie survived the logout")
	}
	want := []string{"POST " + e.g.base + "/.authgate/logout", "POST " + e.p.Issuer() + "/logout", "GET " + e.g.base + "/bye"}
	if got := docs.since(t, want[0], len(want)); !slices.Equal(got[:len(want)], want) {
		t.Fatalf("logout navigations %q, want %q then the login form", got, want)
	}
	// That login form remembers /bye: signing in again ends there.
	inBrowser(t, ctx, "signing in again",
		chromedp.SendKeys(chromedp.ID("username"), "alice"), chromedp.Click(chromedp.ID("login")))
	waitUntilAt(t, ctx, func(u *url.URL) bool { return u.String() == e.g.base+"/bye" })
}

// signIn opens target, which must lead to the provider's login form, signs
// in there as user, and waits until the browser is back at target.
func signIn(t *testing.T, ctx context.Context, e *oidcEnv, target, user string) {
	t.Helper()
	inBrowser(t, ctx, "opening the app", chromedp.Navigate(target), chromedp.WaitVisible(chromedp.ID("username")))
	if at := run(t, ctx, chromedp.Location()); !strings.HasPrefix(at, e.p.Issuer()+"/authorize?") {
		t.Fatalf("the app sent the browser to %s, want the provider's login form", at)
	}
	inBrowser(t, ctx, "signing in",
		chromedp.SendKeys(chromedp.ID("username"), user), chromedp.Click(chromedp.ID("login")))
	waitUntilAt(t, ctx, func(u *url.URL) bool { return u.String() == target })
}

// wantOnlyTheSessionCookie checks the browser holds the session cookie for
// base with the attributes a session cookie must carry (HttpOnly, Secure,
// SameSite=Lax), and no login cookie.
func wantOnlyTheSessionCookie(t *testing.T, ctx context.Context, base string) {
	t.Helper()
	jar := cookies(t, ctx, base)
	if s := jar[sessionCookieName]; s == nil || !s.HTTPOnly || !s.Secure || s.SameSite != network.CookieSameSiteLax {
		t.Fatalf("session cookie %s, want HttpOnly, Secure, SameSite=Lax", cookieFlags(s))
	}
	for name := range jar {
		if strings.HasPrefix(name, "__Host-authgate_login_") {
			t.Fatalf("login cookie %s left after the callback", name)
		}
	}
}

// submitForm posts an empty form to action from the current page, as a
// logout button in the app does (same origin, top-level navigation).
func submitForm(t *testing.T, ctx context.Context, action string) {
	t.Helper()
	js, _ := json.Marshal(action)
	inBrowser(t, ctx, "submitting a form to "+action, chromedp.Evaluate[chromedp.Void](`{
		const f = document.createElement("form");
		f.method = "post";
		f.action = `+string(js)+`;
		document.body.appendChild(f);
		f.submit();
	}`))
}

// newChromium starts headless chromium with a fresh profile and only the
// flags that keep it off the network; it lives at most a minute.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	deadline, stop := context.WithTimeout(context.Background(), time.Minute)
	alloc, closeBrowser := chromedp.NewExecAllocator(deadline,
		chromedp.ExecPath(chromiumPath), chromedp.UserDataDir(t.TempDir()),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
	)
	ctx, closeTab := chromedp.NewContext(alloc)
	t.Cleanup(func() { closeTab(); closeBrowser(); stop() })
	inBrowser(t, ctx, "starting chromium") // the first Do starts the browser
	return ctx
}

// inBrowser runs steps in the tab, failing the test with what was being
// done.
func inBrowser(t *testing.T, ctx context.Context, doing string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", doing, err)
	}
}

// run runs one action that returns a value.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// waitUntilAt polls the tab's location until at accepts it. Errors are
// expected while a navigation replaces the document, so only the deadline
// fails the test.
func waitUntilAt(t *testing.T, ctx context.Context, at func(*url.URL) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		if loc, err := chromedp.Run(ctx, chromedp.Location()); err == nil {
			last = loc
			if u, err := url.Parse(loc); err == nil && at(u) {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the browser stayed at %s", last)
}

// echoedHeaders parses the echo upstream's JSON out of the page text
// (chromium may add a pretty-print control around it), one value each.
func echoedHeaders(t *testing.T, text string) map[string]string {
	t.Helper()
	start, end := strings.Index(text, "{"), strings.LastIndex(text, "}")
	var h map[string][]string
	if start < 0 || end < start || json.Unmarshal([]byte(text[start:end+1]), &h) != nil {
		t.Fatalf("the page is not the echo upstream's JSON: %.120q", text) // the start: no cookie values
	}
	flat := make(map[string]string, len(h))
	for name, values := range h {
		flat[name] = strings.Join(values, ",")
	}
	return flat
}

// cookies returns the browser's cookies for base, by name.
func cookies(t *testing.T, ctx context.Context, base string) map[string]*network.Cookie {
	t.Helper()
	res := run(t, ctx, func(ctx context.Context, tab *chromedp.Target) (network.GetCookiesResult, error) {
		return cdp.Call(ctx, tab, network.GetCookies, network.GetCookiesParams{URLs: []string{base + "/"}})
	})
	byName := make(map[string]*network.Cookie, len(res.Cookies))
	for _, c := range res.Cookies {
		byName[c.Name] = c
	}
	return byName
}

// cookieFlags describes a cookie's attributes, never its value.
func cookieFlags(c *network.Cookie) string {
	if c == nil {
		return "missing"
	}
	return fmt.Sprintf("HttpOnly=%v Secure=%v SameSite=%q Path=%s", c.HTTPOnly, c.Secure, c.SameSite, c.Path)
}

// navigations is the list of document requests ("METHOD URL", query
// dropped) the tab has sent, redirects included.
type navigations struct {
	mu   sync.Mutex
	seen []string
}

// recordNavigations starts recording the tab's document requests.
func recordNavigations(t *testing.T, ctx context.Context) *navigations {
	t.Helper()
	n := &navigations{}
	inBrowser(t, ctx, "listening to the network", chromedp.Func(func(_ context.Context, tab *chromedp.Target) error {
		events := cdp.Events(ctx, tab, network.RequestWillBeSent) // subscribed from here on
		go func() {
			for ev, err := range events {
				if err != nil {
					return // the browser is closing
				}
				if ev.Type == network.ResourceTypeDocument {
					u, _, _ := strings.Cut(ev.Request.URL, "?")
					n.mu.Lock()
					n.seen = append(n.seen, ev.Request.Method+" "+u)
					n.mu.Unlock()
				}
			}
		}()
		return nil
	}))
	return n
}

// since returns the navigations from the first one equal to first on,
// waiting a little for at least n of them: events reach the recorder
// asynchronously.
func (n *navigations) since(t *testing.T, first string, count int) []string {
	t.Helper()
	var got []string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n.mu.Lock()
		if i := slices.Index(n.seen, first); i >= 0 {
			got = slices.Clone(n.seen[i:])
		}
		n.mu.Unlock()
		if len(got) >= count {
			return got
		}
	}
	t.Fatalf("navigations after %s: %q, want %d", first, got, count)
	return nil
}
