package oidclogin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Login-loop detection: a browser that comes back from the provider with a
// session yet starts login after login (its session cookie is dropped:
// Secure on a plain-http site, or the route does not accept sessions)
// would bounce between gateway and provider forever. The callback counts
// logins in a short-lived cookie that is not Secure, so it survives where
// the session cookie does not; past maxLoopLogins the gateway shows a page
// instead of redirecting again.
//
// Not being Secure, the cookie can be planted by anyone who can set
// cookies for the site (a sibling subdomain, a plain-http response): its
// value is "count.unixtime.mac", HMAC-SHA256 under a key derived from the
// login-state key, and a value that does not verify, or was issued more
// than loginLoopWindow ago, counts as no logins.
const (
	loginLoopCookie = CookieMark + "s"
	loginLoopWindow = time.Minute
	maxLoopLogins   = 3
	// loopResetParam on /.authgate/login drops the count before the
	// login starts: the login_loop page's "try again" link.
	loopResetParam = "reset_loop"
)

// deriveKey derives a key for one purpose from the login-state key.
func deriveKey(key []byte, purpose string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}

// LoopMAC authenticates a login count and its issue time (Unix seconds)
// in the login-loop marker.
func (c *Codec) LoopMAC(count int, issued int64) string {
	m := hmac.New(sha256.New, c.loopKey)
	m.Write([]byte(strconv.Itoa(count) + "." + strconv.FormatInt(issued, 10)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// recentLogins is how many logins the browser finished within the window
// of the last one, by a marker this gateway issued.
func (c *Codec) recentLogins(r *http.Request) int {
	ck, err := r.Cookie(loginLoopCookie)
	if err != nil || len(ck.Value) > 128 {
		return 0
	}
	parts := strings.Split(ck.Value, ".")
	if len(parts) != 3 {
		return 0
	}
	count, err1 := strconv.Atoi(parts[0])
	issued, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || count < 1 ||
		!hmac.Equal([]byte(parts[2]), []byte(c.LoopMAC(count, issued))) {
		return 0
	}
	age := c.now().Sub(time.Unix(issued, 0))
	if age < -clockLeeway || age > loginLoopWindow {
		return 0
	}
	return count
}

// countLogin records a finished login.
func (c *Codec) countLogin(w http.ResponseWriter, r *http.Request) {
	count, issued := c.recentLogins(r)+1, c.now().Unix()
	http.SetCookie(w, &http.Cookie{
		Name: loginLoopCookie, Value: strconv.Itoa(count) + "." + strconv.FormatInt(issued, 10) + "." + c.LoopMAC(count, issued),
		Path: "/", MaxAge: int(loginLoopWindow / time.Second), HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// ForgetLogins drops the browser's count of recent logins (at logout, and
// from the login_loop page's "try again" link).
func ForgetLogins(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: loginLoopCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// loginLoop answers a navigation that would start one login too many: a
// page whose "try again" link starts a login with the count dropped. The
// link is this gateway's login endpoint with the page's own path as the
// return URL, which the endpoint accepts only on this origin.
func (p *Provider) loginLoop(w http.ResponseWriter, r *http.Request) {
	q := url.Values{loopResetParam: {"1"}, "provider": {p.cfg.Name}, "redirect_uri": {p.set.deps.Requests.OriginalURL(r).RequestURI()}}
	retry := p.set.opts.EndpointPrefix + "login?" + q.Encode()
	p.set.observer().LoginFailed(p.cfg.Name, reasonLoginLoop)
	p.set.failPage(w, r, http.StatusUnauthorized, reasonLoginLoop, nil, retry)
}
