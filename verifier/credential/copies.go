package credential

import (
	"errors"
	"net/http"

	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/verifier"
)

// Every copy of a cookie counts where a credential is ended. A browser can
// hold one cookie name several times (copies at other Paths, one set for
// the parent domain by a sibling subdomain), and r.Cookie returns only the
// first: a decoy copy placed first would let the real session or token
// outlive a logout, or a planted session outlive the exchange or login
// meant to replace it. Ending a session or a token the caller holds is
// harmless, whosever it is: holding it is all it takes to use it.

// MaxCopies bounds the copies of one credential a request may ask the
// gateway to end, so that one request cannot cost thousands of store calls
// or signature checks.
const MaxCopies = 8

var errTooManyCopies = verifier.Reject(verifier.ReasonMalformed, errors.New("cookie sent too many times"))

// CookieCopies returns the non-empty value of every copy of cookie name in
// r, in the order sent; more than MaxCopies is a malformed rejection.
func CookieCopies(r *http.Request, name string) ([]string, error) {
	var out []string
	for _, c := range r.CookiesNamed(name) {
		if c.Value != "" {
			out = append(out, c.Value)
		}
	}
	if len(out) > MaxCopies {
		return nil, errTooManyCopies
	}
	return out, nil
}

// Copies returns the values of source s that a logout should try to end:
// every copy of a cookie, and every well-framed value of a header in the
// source's scheme, in any folded spelling. A decoy placed in a first copy
// must not let the real credential survive; a logout ends them all rather
// than refusing, so a user can always log out.
func Copies(r *http.Request, s verifier.Source) ([]string, error) {
	if s.Kind == verifier.SourceCookie {
		return CookieCopies(r, s.Name)
	}
	var values []string
	for name, lines := range r.Header {
		if !headername.Equal(name, s.Name) {
			continue
		}
		for _, line := range lines {
			if tok, ours, ok := ParseHeader(line, s.Scheme); ours && ok {
				values = append(values, tok)
			}
		}
		if len(values) > MaxCopies {
			return nil, Malformed("credential header sent too many times")
		}
	}
	return values, nil
}
