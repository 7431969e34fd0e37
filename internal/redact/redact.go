// Package redact removes the secret parts of URLs from what authgate logs
// or returns as errors.
//
// Operators put credentials into the URLs they configure: an API key in an
// introspection endpoint's query (?api_key=…), user:password@ in a JWKS or
// claim-source URL, a signed query on an OIDC issuer's endpoints. Those URLs
// reach log lines directly (a field naming the URL) and indirectly: net/http
// wraps every client failure in a *url.Error whose text holds the request
// URL with its query (it masks only the password). Every log line and error
// that may carry a configured URL goes through URL, Text or Error, which keep
// the scheme, host and path and drop the userinfo, query and fragment.
package redact

import (
	"net/url"
	"strings"
)

// Marker replaces a dropped query; unparsable URLs become Unparsable.
const (
	Marker     = "REDACTED"
	Unparsable = "[redacted URL]"
)

// URL returns raw without userinfo, fragment and query; a query is replaced
// by Marker so that the log still shows there was one. Text that does not
// parse as a URL is replaced whole.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return Unparsable
	}
	if u.Opaque != "" {
		// "host:port?x" parses as scheme "host" with an opaque part: the
		// whole of it may be secret.
		return Unparsable
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	u.ForceQuery = false
	if u.RawQuery != "" {
		u.RawQuery = Marker
	}
	return u.String()
}

// Text returns s with every URL in it ("scheme://…" up to the next white
// space) passed through URL. Punctuation that quoting adds after a URL
// (a closing quote, a colon) is kept.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i
		for start > 0 && schemeChar(s[start-1]) {
			start--
		}
		end := i + 3
		for end < len(s) && !isSpace(s[end]) {
			end++
		}
		raw := s[start:end]
		trimmed := strings.TrimRight(raw, `"'`+"`"+`,:;)]>`)
		b.WriteString(s[:start])
		if start == i {
			// "://" without a scheme: not a URL we can parse, but its
			// authority may still hold a password.
			b.WriteString(Unparsable)
		} else if secretFree(trimmed) {
			b.WriteString(trimmed)
		} else {
			b.WriteString(URL(trimmed))
		}
		b.WriteString(raw[len(trimmed):])
		s = s[end:]
	}
}

// secretFree reports whether raw parses as a URL without userinfo, query
// or fragment: such text is left exactly as written.
func secretFree(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Opaque == "" && u.User == nil && u.RawQuery == "" && !u.ForceQuery &&
		u.Fragment == "" && !strings.Contains(raw, "#")
}

func schemeChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

// Error returns err with every URL in its text redacted (see Text). The
// result still unwraps to err, so errors.Is and errors.As keep working;
// code that logs must log the result, never what errors.As digs out of it.
func Error(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(redacted); ok {
		return err
	}
	return redacted{err: err}
}

type redacted struct{ err error }

func (e redacted) Error() string { return Text(e.err.Error()) }
func (e redacted) Unwrap() error { return e.err }
