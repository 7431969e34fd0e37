package sessionhttp

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/authgate/authgate/internal/redirect"
)

// CrossSite reports whether a browser sent r from another site: an Origin
// other than the request's own, or Sec-Fetch-Site: cross-site. Clients
// that send neither (curl, servers) are not browsers and pass.
func CrossSite(r *http.Request) bool {
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
	return !sameOrigin(u.Scheme+"://"+u.Host, redirect.Origin(r))
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
