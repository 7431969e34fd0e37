package oidclogin

import (
	"crypto/sha256"
	"encoding/base64"
	"html"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/session"
)

// ProviderLogout ends the provider's session too (OpenID Connect
// RP-Initiated Logout 1.0) after the edge session ended was revoked, when it
// came from a provider that has an end_session_endpoint: the browser gets
// a page that posts id_token_hint, client_id and post_logout_redirect_uri
// there. A POST keeps the ID token out of URLs and so out of access logs
// and browser history. It reports false when there is nothing to do.
func (s *Set) ProviderLogout(w http.ResponseWriter, r *http.Request, ended *session.Session, target string) bool {
	p := s.Get(ended.Provider)
	if p == nil {
		return false
	}
	d, err := p.discovered(r.Context())
	if err != nil || d.endSession == "" {
		return false // the edge session is over; the provider's is its own
	}
	back := target
	if back == "" {
		back = "/"
	}
	fields := [][2]string{{"client_id", p.cfg.ClientID}}
	if back = p.postLogoutURL(r, back); back != "" {
		fields = append(fields, [2]string{"post_logout_redirect_uri", back})
	}
	if ended.IDToken != "" {
		fields = append(fields, [2]string{"id_token_hint", ended.IDToken})
	}
	writeAutoPost(w, d.endSession, fields)
	return true
}

// postLogoutURL makes a same-origin return path absolute on the origin
// of the callback URL configured for r's Host, never on the Host header
// itself; an absolute one must be on that origin. Otherwise the provider
// gets no post_logout_redirect_uri.
func (p *Provider) postLogoutURL(r *http.Request, back string) string {
	cb, ok := p.cfg.CallbackURLs[strings.ToLower(r.Host)]
	if !ok {
		return ""
	}
	origin := cb.Scheme + "://" + cb.Host
	if strings.HasPrefix(back, "/") {
		return origin + back
	}
	if u, err := url.Parse(back); err != nil || !strings.EqualFold(u.Scheme+"://"+u.Host, origin) {
		return ""
	}
	return back
}

// autoPostScript submits the page's form; the CSP allows it by hash.
const autoPostScript = `document.forms[0].submit()`

var autoPostCSP = func() string {
	sum := sha256.Sum256([]byte(autoPostScript))
	return "default-src 'none'; script-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}()

// writeAutoPost answers with a page whose form posts fields to action at
// once (with a button for browsers without JavaScript).
func writeAutoPost(w http.ResponseWriter, action string, fields [][2]string) {
	var b strings.Builder
	b.WriteString(`<!doctype html><meta charset="utf-8"><title>Signing out</title><form method="post" action="`)
	b.WriteString(html.EscapeString(action))
	b.WriteString(`">`)
	for _, f := range fields {
		b.WriteString(`<input type="hidden" name="` + html.EscapeString(f[0]) + `" value="` + html.EscapeString(f[1]) + `">`)
	}
	b.WriteString(`<noscript><button type="submit">Continue signing out</button></noscript></form><script>` + autoPostScript + `</script>`)
	hdr := w.Header()
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", autoPostCSP)
	hdr.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(b.String()))
}
