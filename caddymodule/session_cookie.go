package caddymodule

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// setCookie sends the session cookie: HttpOnly, SameSite=Lax, Path=/,
// Secure unless insecure_cookie, living until the session's absolute end.
func (es *edgeSessions) setCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{
		Name: es.cookie, Value: token, Path: "/",
		Expires: expires, MaxAge: max(int(time.Until(expires).Seconds()), 1),
		HttpOnly: true, Secure: es.secure, SameSite: http.SameSiteLaxMode,
	})
}

// clearCookie tells the browser to drop the session cookie.
func (es *edgeSessions) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: es.cookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: es.secure, SameSite: http.SameSiteLaxMode,
	})
}

// token returns the session cookie's value, if any.
func (es *edgeSessions) token(r *http.Request) string {
	c, err := r.Cookie(es.cookie)
	if err != nil {
		return ""
	}
	return c.Value
}

// requestHost returns the host (without port) of the request being
// served, for bind_host. Caddy's replacer knows the request; the context
// value of the original request does not keep the host.
func requestHost(ctx context.Context) string {
	repl, ok := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return ""
	}
	return strings.ToLower(repl.ReplaceAll("{http.request.host}", ""))
}

// requestOrigin is the origin the request was addressed to.
func requestOrigin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}

// crossSite reports whether a browser sent r from another site: an Origin
// other than the request's own, or Sec-Fetch-Site: cross-site. Clients
// that send neither (curl, servers) are not browsers and pass.
func crossSite(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return true // includes "null" (sandboxed frames, file:)
	}
	return !sameOrigin(u.Scheme+"://"+u.Host, requestOrigin(r))
}

// sameOrigin compares two scheme://host[:port] origins by host and port,
// default ports implied. The scheme is left out on purpose: behind a TLS
// terminator Caddy sees http while the browser's Origin says https, and
// the two schemes of one host are the same site anyway.
func sameOrigin(a, b string) bool {
	return hostPort(a) == hostPort(b)
}

func hostPort(origin string) string {
	o := strings.ToLower(origin)
	for scheme, port := range map[string]string{"http://": "80", "https://": "443"} {
		if rest, ok := strings.CutPrefix(o, scheme); ok {
			if host, p, err := net.SplitHostPort(rest); err == nil && p == port {
				return host
			}
			return rest
		}
	}
	return o
}
