package caddymodule

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/verifier"
)

// sourceRoute is one credential source of a route and the verifier that
// accepts credentials from it.
type sourceRoute struct {
	source verifier.Source
	verify verifier.Verifier
}

// extract returns the first credential present in r, trying the route's
// sources in order, and the verifier for it. It never reads the body or the
// query string. ok is false when the request carries no credential.
func extract(r *http.Request, routes []sourceRoute) (verifier.Credential, verifier.Verifier, bool) {
	for i := range routes {
		if v, ok := readSource(r, routes[i].source); ok {
			return verifier.Credential{Source: routes[i].source, Value: v}, routes[i].verify, true
		}
	}
	return verifier.Credential{}, nil, false
}

// readSource reads one source. A header with another scheme than the one
// expected (Basic instead of Bearer) is not this source's credential.
func readSource(r *http.Request, s verifier.Source) (string, bool) {
	switch s.Kind {
	case verifier.SourceHeader:
		return readHeader(r.Header.Get(s.Name), s.Scheme)
	case verifier.SourceCookie:
		c, err := r.Cookie(s.Name)
		if err != nil || c.Value == "" {
			return "", false
		}
		return c.Value, true
	}
	return "", false
}

func readHeader(value, scheme string) (string, bool) {
	if value == "" {
		return "", false
	}
	if scheme == "" {
		return strings.TrimSpace(value), true
	}
	if len(value) <= len(scheme) || value[len(scheme)] != ' ' || !strings.EqualFold(value[:len(scheme)], scheme) {
		return "", false
	}
	tok := strings.TrimSpace(value[len(scheme)+1:])
	return tok, tok != ""
}

// stripCredentials removes the route's credential headers and cookies from
// the upstream request, so legacy apps never see tokens.
func stripCredentials(r *http.Request, routes []sourceRoute) {
	cookies := map[string]struct{}{}
	for _, sr := range routes {
		switch sr.source.Kind {
		case verifier.SourceHeader:
			r.Header.Del(sr.source.Name)
		case verifier.SourceCookie:
			cookies[sr.source.Name] = struct{}{}
		}
	}
	if len(cookies) > 0 {
		removeCookies(r, func(name string) bool { _, drop := cookies[name]; return drop })
	}
}

// removeCookies deletes the request cookies whose name drop reports. It
// edits the Cookie header as text: the app's other cookies pass exactly as
// sent, even ones net/http would not parse.
func removeCookies(r *http.Request, drop func(name string) bool) {
	lines := r.Header.Values("Cookie")
	kept := make([]string, 0, len(lines))
	changed := false
	for _, line := range lines {
		parts := strings.Split(line, ";")
		out := parts[:0]
		for _, part := range parts {
			name, _, _ := strings.Cut(part, "=")
			if drop(strings.TrimSpace(name)) {
				changed = true
				continue
			}
			out = append(out, part)
		}
		if v := strings.TrimSpace(strings.Join(out, ";")); v != "" {
			kept = append(kept, v)
		}
	}
	if !changed {
		return
	}
	r.Header.Del("Cookie")
	for _, v := range kept {
		r.Header.Add("Cookie", v)
	}
}
