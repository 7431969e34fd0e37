package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// Path rules of the opt-in request firewall (`reject_paths` on a handler).
// Each refuses a path spelling that Caddy's matchers read one way and some
// upstreams another: Tomcat drops ";params" from segments, IIS and Windows
// trim trailing dots and spaces, and servers that decode %2F, %5C or "\"
// into separators turn "/admin%2Fx" or "/admin\x" into "/admin/x". A route
// matched as "not /admin/*" must then never reach such an upstream.
const (
	ruleEncodedNUL       = "encoded_nul"        // %00 anywhere in the path
	ruleEncodedSlash     = "encoded_slash"      // %2F: a separator Caddy does not split on
	ruleEncodedBackslash = "encoded_backslash"  // %5C
	ruleBackslash        = "backslash"          // a raw "\" (a separator on Windows servers)
	ruleTrailingDotSpace = "trailing_dot_space" // a segment ending in "." or " " (also "." and "..")
	ruleSemicolon        = "semicolon"          // ";" or %3B (Tomcat path parameters, ;jsessionid=)
)

// pathRules lists the rules in the order they are checked; the first that
// matches names the refusal's reason (path_<rule>).
var pathRules = []string{
	ruleEncodedNUL, ruleEncodedSlash, ruleEncodedBackslash,
	ruleBackslash, ruleTrailingDotSpace, ruleSemicolon,
}

// checkPathRules refuses unknown rule names and repeats.
func checkPathRules(rules []string) error {
	seen := map[string]bool{}
	for _, r := range rules {
		known := false
		for _, k := range pathRules {
			known = known || r == k
		}
		if !known {
			return fmt.Errorf("reject_paths: unknown rule %q (want %s)", r, strings.Join(pathRules, ", "))
		}
		if seen[r] {
			return fmt.Errorf("reject_paths: %q given twice", r)
		}
		seen[r] = true
	}
	return nil
}

// rejectedPath returns the first enabled rule the request's path breaks,
// or "". It reads the path as the client sent it (before Caddy's rewrites
// and before percent-decoding) and the current one, which goes upstream,
// each with every further decoding pathLayers finds in it.
func (h *Handler) rejectedPath(r *http.Request) string {
	if len(h.RejectPaths) == 0 {
		return ""
	}
	raws := []string{rawPath(r)}
	if r.URL.Path != originalURL(r).Path { // rewritten: check what goes upstream too
		raws = append(raws, r.URL.EscapedPath())
	}
	for _, rule := range pathRules {
		if !h.rejects(rule) {
			continue
		}
		for _, raw := range raws {
			for i, layer := range pathLayers(raw) {
				// A raw "\" in a decoded layer was %5C in the one
				// before: encoded_backslash's case, not backslash's.
				if (i == 0 || rule != ruleBackslash) && pathBreaks(rule, layer) {
					return rule
				}
			}
		}
	}
	return ""
}

func (h *Handler) rejects(rule string) bool {
	for _, r := range h.RejectPaths {
		if r == rule {
			return true
		}
	}
	return false
}

// rawPath is the request-target's path as received. Go's URL re-encodes a
// raw "\" as %5C, so the request line is the only place the two differ.
func rawPath(r *http.Request) string {
	target := r.RequestURI
	if or, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && or.RequestURI != "" {
		target = or.RequestURI
	}
	if !strings.HasPrefix(target, "/") {
		// Absolute-form ("GET http://host/admin\x"): the path as written
		// starts at the first "/" after the authority. Go's URL would
		// re-encode the raw "\" here too.
		_, rest, ok := strings.Cut(target, "://")
		if !ok {
			return originalURL(r).EscapedPath() // "*", or absent
		}
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return "/"
		}
		target = rest[i:]
	}
	path, _, _ := strings.Cut(target, "?")
	return path
}

// pathBreaks reports whether raw, an escaped path, breaks rule.
func pathBreaks(rule, raw string) bool {
	lower := strings.ToLower(raw)
	switch rule {
	case ruleEncodedNUL:
		return strings.Contains(lower, "%00")
	case ruleEncodedSlash:
		return strings.Contains(lower, "%2f")
	case ruleEncodedBackslash:
		return strings.Contains(lower, "%5c")
	case ruleBackslash:
		return strings.Contains(raw, `\`)
	case ruleSemicolon:
		return strings.Contains(raw, ";") || strings.Contains(lower, "%3b")
	case ruleTrailingDotSpace:
		return hasTrailingDotSpace(raw)
	}
	return false
}

// hasTrailingDotSpace reports a segment that, decoded, ends in "." or " ".
// Segments are split on the raw "/" only, so %2F stays inside its segment.
func hasTrailingDotSpace(raw string) bool {
	for _, seg := range strings.Split(raw, "/") {
		dec, err := url.PathUnescape(seg)
		if err != nil {
			dec = seg
		}
		if dec != "" && (dec[len(dec)-1] == '.' || dec[len(dec)-1] == ' ') {
			return true
		}
	}
	return false
}

// refusePath answers 400 with reason path_<rule>.
func (h *Handler) refusePath(w http.ResponseWriter, r *http.Request, rule string) error {
	reason := "path_" + rule
	h.logDenied(r, http.StatusBadRequest, reason)
	return writeJSON(w, r, http.StatusBadRequest, reason, `{"error":"bad_request","reason":"`+reason+`"}`)
}
