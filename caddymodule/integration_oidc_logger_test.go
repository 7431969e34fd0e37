package caddymodule

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/oidctest"
)

// TestOIDCRequestLogLinesUseTheHandlerLogger: what a login logs about the
// request it serves (a refused callback, a refused logout token) is
// written by the authgate handler's logger, http.handlers.authgate, like
// every other line about a request: operators include or exclude these
// lines by that logger name. Only what concerns the provider itself
// (discovery) is the app's.
func TestOIDCRequestLogLinesUseTheHandlerLogger(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	logs := newCaddyLog(t)
	p := oidctest.New(t, oidctest.Options{ClientID: "gateway", ClientSecret: "gw-secret"})
	site := strings.NewReplacer("admin off", "admin off\n\t"+logs.option(),
		"{ISSUER}", p.Issuer(), "{UPSTREAM}", echoUpstream(t).URL,
		"{OIDC}", "", "{SESSION}", "", "{GLOBAL}", "").Replace(oidcSite)
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")

	// A callback without a login cookie: refused, logged at debug.
	wantLoginFailure(t, newBrowser(t).open(g.base+"/.authgate/callback?code=c&state="+randomString()),
		http.StatusBadRequest, reasonInvalidState)
	// A callback whose login cookie does not open: refused with a cause,
	// logged as a warning.
	state := randomString()
	b := newBrowser(t)
	b.setCookie(g.base, newLoginCookies(true).name(state), "not-a-sealed-state")
	wantLoginFailure(t, b.open(g.base+"/.authgate/callback?code=c&state="+state), http.StatusBadRequest, reasonInvalidState)
	// A logout token that names the provider but does not verify.
	forged, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"iss": p.Issuer(), "aud": "gateway", "iat": time.Now().Unix(), "jti": "j1", "sub": "alice",
		"events": map[string]any{"http://schemas.openid.net/event/backchannel-logout": map[string]any{}},
	}).SignedString([]byte("not the provider's key"))
	if err != nil {
		t.Fatal(err)
	}
	r := newBrowser(t).do("POST", g.base+"/.authgate/backchannel-logout", "logout_token="+forged,
		"Content-Type: application/x-www-form-urlencoded")
	wantReason(t, r, http.StatusBadRequest, "invalid_logout_token")

	for _, want := range []string{
		`"msg":"authgate denied request","status":400,"reason":"invalid_state"`,
		`"msg":"authgate login failed"`,
		`"msg":"authgate denied request","status":400,"reason":"invalid_logout_token"`,
	} {
		var lines []string
		sesWaitFor(t, 5*time.Second, "a log line with "+want, func() bool {
			lines = logs.lines(want)
			return len(lines) > 0
		})
		for _, l := range lines {
			if !strings.Contains(l, `"logger":"http.handlers.authgate"`) {
				t.Errorf("logged by another logger than the handler's: %s", l)
			}
		}
	}
}
