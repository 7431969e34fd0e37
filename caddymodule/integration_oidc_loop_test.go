package caddymodule

import (
	"context"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"

	"github.com/authgate/authgate/internal/oidctest"
)

// loopMarker returns a login-loop marker signed with the gateway's own
// login-state key, as its callback would issue it at the given time.
func loopMarker(t *testing.T, g *gateway, count int, issued time.Time) string {
	t.Helper()
	c, err := loadLoginCodec(context.Background(), &certmagic.FileStorage{Path: g.storage})
	if err != nil {
		t.Fatal(err)
	}
	return strconv.Itoa(count) + "." + strconv.FormatInt(issued.Unix(), 10) + "." + c.loopMAC(count, issued.Unix())
}

// TestOIDCTossedLoginLoopCookieIsIgnored: authgate_logins is not Secure,
// so a sibling subdomain or a plain-http answer can plant it. A planted
// count, or a genuine one outside its window, must not lock the browser
// out with login_loop.
func TestOIDCTossedLoginLoopCookieIsIgnored(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	genuine := loopMarker(t, e.g, 5, time.Now())
	mac := genuine[strings.LastIndexByte(genuine, '.')+1:]
	for _, tc := range []struct{ name, value string }{
		{"a plain count", "99"},
		{"a count with a made-up MAC", "99." + strconv.FormatInt(time.Now().Unix(), 10) + ".AAAA"},
		{"a genuine MAC moved to another count", "99" + genuine[1:]},
		{"a genuine MAC moved to another time", "5." + strconv.FormatInt(time.Now().Unix()-1, 10) + "." + mac},
		{"a genuine marker issued two minutes ago", loopMarker(t, e.g, 5, time.Now().Add(-2*time.Minute))},
		{"a genuine marker issued in the future", loopMarker(t, e.g, 5, time.Now().Add(10*time.Minute))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newBrowser(t)
			b.setCookie(e.g.base, loginLoopCookie, tc.value)
			wantLoginStartsAt(t, b.open(e.g.base+"/home"), e.p.Issuer())
		})
	}
	t.Run("a genuine marker within its window still counts", func(t *testing.T) {
		b := newBrowser(t)
		b.setCookie(e.g.base, loginLoopCookie, genuine)
		wantLoginFailure(t, b.open(e.g.base+"/home"), http.StatusUnauthorized, reasonLoginLoop)
	})
}

// TestOIDCLoginLoopPageOffersAReset: a real loop still ends on the
// login_loop page, whose "try again" link drops the count and starts a
// login that returns to the same page, on this origin only.
func TestOIDCLoginLoopPageOffersAReset(t *testing.T) {
	e := startOIDC(t, oidctest.Options{})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	for range 3 {
		_, cb := b.navigate(e.g.base+"/home?tab=2", atCallback)
		wantStatus(t, b.open(cb), http.StatusSeeOther)
		b.dropCookie(e.g.base, sessionCookieName) // as a browser drops a Secure cookie on http
	}
	page := b.open(e.g.base + "/home?tab=2")
	wantLoginFailure(t, page, http.StatusUnauthorized, reasonLoginLoop)
	m := regexp.MustCompile(`<a id="retry" href="([^"]*)">`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no try-again link in %s", page.body)
	}
	link := html.UnescapeString(m[1])
	if !strings.HasPrefix(link, "/.authgate/login?") {
		t.Fatalf("try-again link %q", link)
	}
	r := b.open(e.g.base + link)
	wantLoginStartsAt(t, r, e.p.Issuer())
	if b.cookie(e.g.base, loginLoopCookie) != "" {
		t.Fatal("the try-again link left the login count in place")
	}
	if _, at := b.navigate(r.header.Get("Location"), nil); at != e.g.base+"/home?tab=2" {
		t.Fatalf("the retried login ended at %s", at)
	}

	// The link's return URL is checked like any: another origin becomes /.
	evil := strings.Replace(link, "redirect_uri=", "redirect_uri=https%3A%2F%2Fevil.example%2F&x=", 1)
	r = b.open(e.g.base + evil)
	if _, at := b.navigate(r.header.Get("Location"), nil); at != e.g.base+"/" {
		t.Fatalf("a try-again link to another origin ended at %s", at)
	}
}
