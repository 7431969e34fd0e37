package credential

import (
	"errors"
	"net/http"
	"strings"

	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/verifier"
)

// Route is one credential source of a route and the verifier that
// accepts credentials from it.
type Route struct {
	Source verifier.Source
	Verify verifier.Verifier
}

// Extract returns the credential of the first source present in r, trying
// the route's sources in order, and the verifier for it. Every source the
// route reads is checked first, whichever one is used: two stacks behind the
// gateway can pick different copies of a duplicated credential, and an
// upstream must never see a value the gateway did not verify. A credential
// header sent more than once, a header value in the source's scheme that is
// not exactly "scheme SP token", a cookie sent more than once and a cookie
// value net/http cannot parse are malformed. It never reads the body or the
// query string, and returns verifier.ErrNoCredential when no source holds a
// credential.
func Extract(r *http.Request, routes []Route) (verifier.Credential, verifier.Verifier, error) {
	var found *Route
	var value string
	var duplicate error // a duplicated non-__Host- cookie; a hard error wins
	for i := range routes {
		v, present, err := readSource(r, routes[i].Source)
		switch {
		case err != nil && isDuplicateCookie(err):
			if duplicate == nil {
				duplicate = err
			}
		case err != nil:
			return verifier.Credential{}, nil, err
		case present && found == nil:
			found, value = &routes[i], v
		}
	}
	if duplicate != nil {
		return verifier.Credential{}, nil, duplicate
	}
	if found == nil {
		return verifier.Credential{}, nil, verifier.ErrNoCredential
	}
	return verifier.Credential{Source: found.Source, Value: value}, found.Verify, nil
}

// readSource reads one source. present is false when the source holds no
// credential: no such header or cookie, an empty cookie, or a header value
// in another scheme than the one expected (Basic for a Bearer source).
func readSource(r *http.Request, s verifier.Source) (value string, present bool, err error) {
	switch s.Kind {
	case verifier.SourceHeader:
		return ReadHeader(r.Header, s)
	case verifier.SourceCookie:
		return readCookieSource(r, s.Name)
	}
	return "", false, nil
}

// Malformed rejects a credential whose framing is wrong; why is a fixed
// text, never a value from the request.
func Malformed(why string) error {
	return verifier.Reject(verifier.ReasonMalformed, errors.New(why))
}

// ReadHeader reads header source s from h. present is false when h holds
// no such header or a value in another scheme; a header sent more than
// once, in a folded spelling, or not exactly "scheme SP token" is
// malformed.
func ReadHeader(h http.Header, s verifier.Source) (value string, present bool, err error) {
	if foldedVariant(h, s.Name) {
		// X_Api_Token reaches CGI, WSGI and PHP apps as X-Api-Token.
		return "", false, Malformed("credential header sent in another spelling")
	}
	values := h.Values(s.Name)
	switch {
	case len(values) == 0:
		return "", false, nil
	case len(values) > 1:
		// Authorization is a singleton field (RFC 9110); so is any
		// header carrying one credential.
		return "", false, Malformed("credential header sent more than once")
	}
	tok, ours, ok := ParseHeader(values[0], s.Scheme)
	switch {
	case !ours:
		return "", false, nil
	case !ok:
		return "", false, Malformed("credential header is not scheme SP token")
	}
	return tok, true, nil
}

// foldedVariant reports whether h holds name in a spelling that folds to
// it (see headername.Fold) but is not its canonical form.
func foldedVariant(h http.Header, name string) bool {
	canonical := http.CanonicalHeaderKey(name)
	for k := range h {
		if k != canonical && headername.Equal(k, name) {
			return true
		}
	}
	return false
}

// isDuplicateCookie reports whether err is a duplicated non-__Host- cookie.
// It is asked only for errors: errors.As's target escapes to the heap, and
// Extract runs on every request.
func isDuplicateCookie(err error) bool {
	var dup *DuplicateCookieError
	return errors.As(err, &dup)
}

// ParseHeader reads one header value. ours is false for a value
// in another scheme, which is not this source's credential. A value that
// starts with the scheme (case-insensitive) followed by anything but a
// token character is ours, and ok only when it is exactly the scheme, one
// space and a token. Without a scheme, the whole value must be a token.
// An empty value is ours and not ok.
func ParseHeader(value, scheme string) (tok string, ours, ok bool) {
	value = strings.Trim(value, " \t")
	if scheme == "" {
		return value, true, isCredentialToken(value)
	}
	if !hasScheme(value, scheme) {
		return "", false, false
	}
	if len(value) <= len(scheme) {
		return "", true, false
	}
	rest := value[len(scheme):]
	if len(rest) < 2 || rest[0] != ' ' || !isCredentialToken(rest[1:]) {
		return "", true, false
	}
	return rest[1:], true, true
}

// hasScheme reports whether value is in scheme: it starts with the scheme
// and the scheme's name ends there. The empty value counts as ours.
func hasScheme(value, scheme string) bool {
	if value == "" {
		return true
	}
	if len(value) < len(scheme) || !strings.EqualFold(value[:len(scheme)], scheme) {
		return false
	}
	return len(value) == len(scheme) || !isTokenChar(value[len(scheme)])
}

// isCredentialToken reports whether tok is one credential: non-empty,
// visible ASCII, and no comma (which would make it a list).
func isCredentialToken(tok string) bool {
	if tok == "" {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if c := tok[i]; c <= ' ' || c >= 0x7f || c == ',' {
			return false
		}
	}
	return true
}

// isTokenChar reports whether c may appear in an RFC 9110 token, such as
// an authentication scheme's name.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// readCookieSource reads the route's cookie. More than one cookie-pair of
// that name, over all Cookie lines, is malformed: for a __Host- name no
// legitimate browser state holds two; other names get a DuplicateCookieError
// so browsers can be sent to log in again.
func readCookieSource(r *http.Request, name string) (string, bool, error) {
	switch n := countCookies(r.Header, name); {
	case n == 0:
		return "", false, nil
	case n > 1 && strings.HasPrefix(name, "__Host-"):
		return "", false, Malformed("__Host- cookie sent more than once")
	case n > 1:
		return "", false, verifier.Reject(verifier.ReasonMalformed, &DuplicateCookieError{Name: name})
	}
	c, err := r.Cookie(name)
	if err != nil {
		return "", false, Malformed("credential cookie value is not valid")
	}
	return c.Value, c.Value != "", nil
}

// countCookies counts the cookie-pairs named name in every Cookie line,
// splitting them the way net/http does, and the pairs of that name hidden
// after a "," (see pairNames) or spelled as PHP reads it (see
// sameCookieName).
func countCookies(h http.Header, name string) int {
	n := 0
	for _, line := range h["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			pairNames(part, func(k string) bool {
				if sameCookieName(k, name) {
					n++
				}
				return true
			})
		}
	}
	return n
}
