package caddymodule

import (
	"net/http"
	"testing"
)

// Every HTTP parser drops the whitespace around a field value (RFC 9110
// section 5.5), and apps that split a list header on "," trim each item.
// A subject "alice " or a role " admin" must therefore not reach the app
// exactly like "alice" or "admin": the header encoding is one-to-one only
// if a space at either end of a string is encoded too.
func TestEdgeSpacesAreEncodedInHeaders(t *testing.T) {
	g := startDuplicatesGateway(t, "")
	cases := []struct{ name, sub, roles, wantUser, wantRoles string }{
		{"a trailing space in the subject", "alice ", `["editor"]`, "alice%20", "editor"},
		{"a leading space in the subject", " alice", `["editor"]`, "%20alice", "editor"},
		{"a leading space in a role", "bob", `["editor"," admin"]`, "bob", "editor,%20admin"},
		{"a trailing space in a scalar role", "bob", `"admin "`, "bob", "admin%20"},
		{"inner spaces stay as they are", "carol ann", `["site admin"]`, "carol ann", "site admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.do("GET", "/", "Authorization: Bearer "+g.mint(tc.sub, "roles="+tc.roles))
			wantStatus(t, r, http.StatusOK)
			if got := r.upstream.Get("X-Auth-User-Id"); got != tc.wantUser {
				t.Errorf("X-Auth-User-Id = %q, want %q", got, tc.wantUser)
			}
			if got := r.upstream.Get("X-Auth-Roles"); got != tc.wantRoles {
				t.Errorf("X-Auth-Roles = %q, want %q", got, tc.wantRoles)
			}
		})
	}
}
