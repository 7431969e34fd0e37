package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// encodingSite is a dev-mode gateway with edge sessions whose routes put
// the subject into headers through Caddy placeholders as well as
// authgate's own mapping, and check claims that exact numbers and nested
// SuperTokens times matter to. Its upstream echoes the headers it got.
const encodingSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		header X-Auth-User-Id {sub}
		header X-Auth-Roles   {claims.roles}
		header X-Guild        {claims.guild_id}
		header X-Guild-Json   {claims.guild_id} json
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /fresh/* {
		authgate {
			require realm_access.roles includes admin max_age 30s
		}
		reverse_proxy {UPSTREAM}
	}
	handle /guild/* {
		authgate {
			require guild_id has_value 1234567890123456789
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		request_header X-Placeholder-User {http.auth.user.id}
		reverse_proxy {UPSTREAM} {
			header_up X-Proxy-User {http.auth.user.id}
		}
	}
}
`

func startEncodingGateway(t *testing.T) *gateway {
	t.Helper()
	up := echoUpstream(t)
	return startGateway(t, strings.ReplaceAll(encodingSite, "{UPSTREAM}", up.URL))
}

// encToken signs dev-issuer claims with a sub, a jti and iat now unless
// given.
func encToken(t *testing.T, g *gateway, sub string, claims jwt.MapClaims) string {
	t.Helper()
	base := jwt.MapClaims{"sub": sub, "iat": time.Now().Unix(), "jti": randomString()}
	for k, v := range claims {
		base[k] = v
	}
	return sesDevToken(t, g, base)
}

// encExchange exchanges token for a session and returns its Cookie line.
func encExchange(t *testing.T, g *gateway, token string) string {
	t.Helper()
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+token)
	wantStatus(t, r, http.StatusCreated)
	return "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value
}

// TestNestedClaimTimeInExchangedSessionAges: a token whose nested
// SuperTokens value realm_access.roles claims a fetch time far in the
// future, issued 40s ago, under `max_age 30s`. As a Bearer it is expired
// (its age counts from iat); exchanged into a session it must be expired
// too, not fresh for the session's whole life because the session trusts
// the times it stores.
func TestNestedClaimTimeInExchangedSessionAges(t *testing.T) {
	g := startEncodingGateway(t)
	tok := encToken(t, g, "nina", jwt.MapClaims{
		"iat":          time.Now().Add(-40 * time.Second).Unix(),
		"realm_access": map[string]any{"roles": map[string]any{"v": []any{"admin"}, "t": 999999999999999}},
	})
	wantStatus(t, g.do("GET", "/fresh/x", "Authorization: Bearer "+tok), http.StatusForbidden)
	cookie := encExchange(t, g, tok)
	r := send(t, g.base, "GET", "/fresh/x", "", cookie)
	wantStatus(t, r, http.StatusForbidden)
	if !strings.Contains(r.body, "expired") {
		t.Fatalf("403 body %s: want the claim reported expired", r.body)
	}
	// The same shape with an honest time passes: the cap only ever lowers t.
	fresh := encToken(t, g, "nina", jwt.MapClaims{
		"realm_access": map[string]any{"roles": map[string]any{"v": []any{"admin"}, "t": time.Now().UnixMilli()}},
	})
	wantStatus(t, send(t, g.base, "GET", "/fresh/x", "", encExchange(t, g, fresh)), http.StatusOK)
}

// TestSubjectWithControlCharactersIsRefused: a validly signed sub with CR
// LF (or NUL, or a C1 line break) would be set raw into {http.auth.user.id},
// which request_header and header_up copy into the upstream request: Go's
// transport refuses the header and the client got a 502. Such subjects are
// malformed credentials, as Bearer and at the exchange.
func TestSubjectWithControlCharactersIsRefused(t *testing.T) {
	g := startEncodingGateway(t)
	for _, sub := range []string{"alice\r\nX-Admin: 1", "alice\x00", "alice\u0085", "alice\x7f"} {
		tok := encToken(t, g, sub, nil)
		wantReason(t, g.do("GET", "/app", "Authorization: Bearer "+tok), http.StatusUnauthorized, "malformed")
		r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
		wantReason(t, r, http.StatusUnauthorized, "malformed")
	}
}

// TestHeaderEncodingIsOneToOne: in the default encoding every string has
// "%", "," and control characters percent-encoded, so a string never reads
// like an array and an encoded-looking string never like the character it
// spells; the subject gets the same encoding in X-Auth-User-Id and in
// {http.auth.user.id} (request_header, header_up).
func TestHeaderEncodingIsOneToOne(t *testing.T) {
	g := startEncodingGateway(t)
	get := func(sub string, claims jwt.MapClaims) http.Header {
		t.Helper()
		r := g.do("GET", "/app", "Authorization: Bearer "+encToken(t, g, sub, claims))
		wantStatus(t, r, http.StatusOK)
		return r.upstream
	}
	str := get("cn=ann,dc=example%2C", jwt.MapClaims{"roles": "editor,admin"})
	arr := get("cn=ann", jwt.MapClaims{"roles": []any{"editor", "admin"}})
	if got, other := str.Get("X-Auth-Roles"), arr.Get("X-Auth-Roles"); got != "editor%2Cadmin" || other != "editor,admin" {
		t.Fatalf("roles string reached the app as %q, the array as %q: want editor%%2Cadmin and editor,admin", got, other)
	}
	for _, name := range []string{"X-Auth-User-Id", "X-Placeholder-User", "X-Proxy-User"} {
		if got := str.Get(name); got != "cn=ann%2Cdc=example%252C" {
			t.Errorf("%s = %q, want cn=ann%%2Cdc=example%%252C", name, got)
		}
	}
	pct := get("bob", jwt.MapClaims{"roles": "admin%00"})
	if got := pct.Get("X-Auth-Roles"); got != "admin%2500" {
		t.Fatalf(`roles "admin%%00" reached the app as %q, want admin%%2500 (distinct from "admin\x00")`, got)
	}
	ctl := get("bob", jwt.MapClaims{"roles": "admin\x00"})
	if got := ctl.Get("X-Auth-Roles"); got != "admin%00" {
		t.Fatalf(`roles "admin\x00" reached the app as %q, want admin%%00`, got)
	}
}

// TestLargeIntegerClaimsAreExact: 1234567890123456700 and
// 1234567890123456789 are one float64; as claims they must stay two
// numbers, in the policy and in headers, as Bearer and after the session
// store.
func TestLargeIntegerClaimsAreExact(t *testing.T) {
	g := startEncodingGateway(t)
	near := encToken(t, g, "gil", jwt.MapClaims{"guild_id": json.Number("1234567890123456700")})
	exact := encToken(t, g, "gil", jwt.MapClaims{"guild_id": json.Number("1234567890123456789")})
	wantStatus(t, g.do("GET", "/guild/x", "Authorization: Bearer "+near), http.StatusForbidden)
	wantStatus(t, send(t, g.base, "GET", "/guild/x", "", encExchange(t, g, near)), http.StatusForbidden)
	for _, cred := range []string{"Authorization: Bearer " + exact, encExchange(t, g, exact)} {
		r := send(t, g.base, "GET", "/guild/x", "", cred)
		wantStatus(t, r, http.StatusOK)
		if got, js := r.upstream.Get("X-Guild"), r.upstream.Get("X-Guild-Json"); got != "1234567890123456789" || js != "1234567890123456789" {
			t.Fatalf("X-Guild = %q, X-Guild-Json = %q; want the exact digits", got, js)
		}
	}
}
