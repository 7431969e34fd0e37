package credential

import (
	"net/http"
	"strings"

	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/verifier"
)

// The gateway never forwards a value from a credential source the route
// reads unless it accepted that value. The app behind it may read the
// same header or cookie itself (a legacy session check, a framework's own
// JWT middleware) and would then trust a token nobody verified: the
// alg:none token in a second Authorization header, a forged cookie next to
// a valid Bearer token, a credential on an optional route that passed
// anonymously. Values in another scheme (Basic on a Bearer route) are not
// the route's credential and pass untouched.

// KeepOnlyAccepted removes from the upstream request every value of the
// route's credential sources except the one accepted from source accepted
// (nil: none was accepted).
func KeepOnlyAccepted(r *http.Request, routes []Route, accepted *verifier.Source) {
	cookies := map[string]struct{}{}
	for _, sr := range routes {
		s := sr.Source
		if accepted != nil && s == *accepted {
			continue
		}
		switch s.Kind {
		case verifier.SourceHeader:
			if accepted != nil && accepted.Kind == verifier.SourceHeader && headername.Equal(s.Name, accepted.Name) {
				continue // the one value of this header is the accepted one
			}
			dropHeaderSource(r.Header, s)
		case verifier.SourceCookie:
			if accepted == nil || accepted.Kind != verifier.SourceCookie || accepted.Name != s.Name {
				cookies[s.Name] = struct{}{}
			}
		}
	}
	if len(cookies) > 0 {
		RemoveCookies(r, dropNamed(cookies))
	}
}

// dropNamed reports the cookie names that reach an app as one of names
// (see sameCookieName).
func dropNamed(names map[string]struct{}) func(string) bool {
	return func(got string) bool {
		for name := range names {
			if sameCookieName(got, name) {
				return true
			}
		}
		return false
	}
}

// dropHeaderSource deletes the header of s, in every spelling that folds
// to its name, when any of its values is in the source's scheme.
func dropHeaderSource(h http.Header, s verifier.Source) {
	for name, values := range h {
		if !headername.Equal(name, s.Name) {
			continue
		}
		for _, v := range values {
			if _, ours, _ := ParseHeader(v, s.Scheme); ours {
				delete(h, name)
				break
			}
		}
	}
}

// Accepted is the source whose credential authenticated r: the first
// present one, as Extract chose it; nil when Extract finds none.
func Accepted(r *http.Request, routes []Route) *verifier.Source {
	cred, _, err := Extract(r, routes)
	if err != nil {
		return nil
	}
	return &cred.Source
}

// Strip removes the route's credential headers and cookies from the
// upstream request, so legacy apps never see tokens.
func Strip(r *http.Request, routes []Route) {
	cookies := map[string]struct{}{}
	for _, sr := range routes {
		switch sr.Source.Kind {
		case verifier.SourceHeader:
			r.Header.Del(sr.Source.Name)
		case verifier.SourceCookie:
			cookies[sr.Source.Name] = struct{}{}
		}
	}
	if len(cookies) > 0 {
		RemoveCookies(r, dropNamed(cookies))
	}
}

// CookieNamed reports the cookie names that reach an app as name (see
// sameCookieName), for RemoveCookies.
func CookieNamed(name string) func(got string) bool {
	return func(got string) bool { return sameCookieName(got, name) }
}

// RemoveCookies deletes the request cookies whose name drop reports, with
// any pair that hides such a name after a "," (see pairNames), and returns
// the pairs it removed, as sent but for surrounding spaces, joined by
// "; " ("" if none). It edits the Cookie header as text: the app's other
// cookies pass exactly as sent, even ones net/http would not parse.
func RemoveCookies(r *http.Request, drop func(name string) bool) (removed string) {
	lines := r.Header.Values("Cookie")
	var first string // the one removed pair of the common case, kept without a slice
	var more []string
	n := 0
	for _, line := range lines {
		for part := range strings.SplitSeq(line, ";") {
			if !pairNamed(part, drop) {
				continue
			}
			if n == 0 {
				first = strings.TrimSpace(part)
			} else {
				more = append(more, strings.TrimSpace(part))
			}
			n++
		}
	}
	if n == 0 {
		return "" // nothing allocated on a request without one
	}
	kept := make([]string, 0, len(lines))
	for _, line := range lines {
		if v := strings.TrimSpace(keptPairs(line, drop)); v != "" {
			kept = append(kept, v)
		}
	}
	r.Header.Del("Cookie")
	for _, v := range kept {
		r.Header.Add("Cookie", v)
	}
	if more == nil {
		return first
	}
	return strings.Join(append([]string{first}, more...), "; ")
}

// keptPairs returns the ";"-separated pairs of a Cookie line whose names
// drop does not report, joined by ";" as sent.
func keptPairs(line string, drop func(name string) bool) string {
	var b strings.Builder
	first := true
	for part := range strings.SplitSeq(line, ";") {
		if pairNamed(part, drop) {
			continue
		}
		if !first {
			b.WriteByte(';')
		}
		first = false
		b.WriteString(part)
	}
	return b.String()
}
