package caddymodule

import (
	"fmt"
	"net/url"
	"strings"
)

// safeRedirect reports whether target may be used as a redirect: a path on
// the same origin, or an absolute http(s) URL whose origin is in allow.
//
// Browsers treat "//host", "/\host" and "\\host" as other origins, and
// some decode percent-escapes or drop tabs and newlines before deciding, so
// the check refuses those spellings in the raw and in the decoded form.
func safeRedirect(target string, allow []string) bool {
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

// checkOrigin accepts exactly scheme://host[:port] with an http(s) scheme:
// an entry with a path or without a scheme would never match a redirect
// target, and silently so.
func checkOrigin(origin string) error {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil ||
		strings.TrimSuffix(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("want an origin such as https://login.example.com")
	}
	return nil
}
