package redirect

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Safe reports whether target may be used as a redirect: a path on
// the same origin, or an absolute http(s) URL whose origin is in allow.
//
// Browsers treat "//host", "/\host" and "\\host" as other origins, and
// some decode percent-escapes or drop tabs and newlines before deciding, so
// the check refuses those spellings in the raw and in the decoded form.
func Safe(target string, allow []string) bool {
	if target == "" || strings.ContainsAny(target, "\\\x00\r\n\t") {
		return false
	}
	for _, c := range target {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	if strings.HasPrefix(target, "/") {
		return samePath(target)
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return false
	}
	origin := u.Scheme + "://" + strings.ToLower(u.Host)
	for _, a := range allow {
		if strings.EqualFold(strings.TrimSuffix(a, "/"), origin) {
			return true
		}
	}
	return false
}

// samePath reports whether a path-only target stays on the same origin.
func samePath(target string) bool {
	if strings.HasPrefix(target, "//") {
		return false
	}
	decoded, err := url.PathUnescape(target)
	if err != nil {
		return false
	}
	if strings.HasPrefix(decoded, "//") || strings.ContainsAny(decoded, "\\\x00\r\n\t") {
		return false
	}
	u, err := url.Parse(target)
	return err == nil && u.Scheme == "" && u.Host == "" && u.User == nil
}

// CheckOrigin accepts exactly scheme://host[:port] with an http(s) scheme:
// an entry with a path or without a scheme would never match a redirect
// target, and silently so.
func CheckOrigin(origin string) error {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want an origin such as https://login.example.com")
	}
	return nil
}

// Origin is the origin r was addressed to: https when the server
// terminated TLS, then the Host header, lowercased. It allows same-origin
// absolute targets; the server's own checks of Host come first.
func Origin(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + strings.ToLower(r.Host)
}
