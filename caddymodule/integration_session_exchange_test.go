package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// startExchangeGateway is sessionSite with the given session options and
// Caddy's admin API on a loopback port.
func startExchangeGateway(t *testing.T, options string) (*gateway, string) {
	t.Helper()
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.ReplaceAll(sessionSite, "{UPSTREAM}", echoUpstream(t).URL)
	site = strings.ReplaceAll(site, "{SESSION}", options)
	site = strings.Replace(site, "admin off", "admin "+admin, 1)
	return startGateway(t, site), "http://" + admin
}

// exchangeBody exchanges token with a JSON body holding extra members
// (`"k":v,…`, or "").
func exchangeBody(t *testing.T, g *gateway, token, extra string) response {
	t.Helper()
	body := `{"id_token":"` + token + `"`
	if extra != "" {
		body += "," + extra
	}
	return send(t, g.base, "POST", "/.authgate/session", body+"}", jsonCT)
}

// expiresAt reads expires_at from an exchange answer.
func expiresAt(t *testing.T, r response) time.Time {
	t.Helper()
	var v struct {
		ExpiresAt string `json:"expires_at"`
	}
	if err := jsonUnmarshal(r.body, &v); err != nil {
		t.Fatalf("answer %s: %v", r.body, err)
	}
	at, err := time.Parse(time.RFC3339, v.ExpiresAt)
	if err != nil {
		t.Fatalf("expires_at of %s: %v", r.body, err)
	}
	return at
}

// TestBindToTokenEndsTheSessionWithItsToken: a Transmit-style app session
// exchanged from a short-lived access token ends when the token expires,
// not at +lifetime; and deny-listing the token ends it at once.
func TestBindToTokenEndsTheSessionWithItsToken(t *testing.T) {
	g, admin := startExchangeGateway(t, "bind_to_token")
	now := time.Now()
	exp := now.Add(3 * time.Second)
	tok := sesDevToken(t, g, jwt.MapClaims{"sub": "alice", "iat": now.Unix(), "exp": exp.Unix(), "jti": "bind-short"})
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.After(time.Unix(exp.Unix(), 0)) {
		t.Fatalf("expires_at %v is after the token's exp %v", got, exp)
	}
	if c := sesCookie(t, r); c.MaxAge > 3 {
		t.Errorf("cookie Max-Age %d outlives the token", c.MaxAge)
	}
	cookie := "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value
	wantStatus(t, g.do("GET", "/", cookie), http.StatusOK)
	sesWaitFor(t, 6*time.Second, "the session ends with its token", func() bool {
		return g.do("GET", "/", cookie).status == http.StatusUnauthorized
	})
	wantReason(t, g.do("GET", "/", cookie), http.StatusUnauthorized, "session_expired")

	// A long-lived token: the session lives; deny-listing the token ends it.
	tok = sesDevToken(t, g, jwt.MapClaims{"sub": "alice", "iat": time.Now().Unix(), "jti": "bind-long"})
	cookie = "Cookie: " + sessionCookieName + "=" + sesCookie(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)).Value
	wantStatus(t, g.do("GET", "/", cookie), http.StatusOK)
	until := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	wantStatus(t, send(t, admin, "POST", "/authgate/revocations", `{"jti":"bind-long","until":"`+until+`"}`, jsonCT), http.StatusCreated)
	wantReason(t, g.do("GET", "/", cookie), http.StatusUnauthorized, "session_revoked")
}

// TestBindToTokenRefusesATokenPastItsExp: within the leeway a token still
// verifies, but a session bound to it would already be over.
func TestBindToTokenRefusesATokenPastItsExp(t *testing.T) {
	g, _ := startExchangeGateway(t, "bind_to_token")
	tok := sesDevToken(t, g, jwt.MapClaims{"sub": "alice", "iat": time.Now().Add(-time.Minute).Unix(), "exp": time.Now().Add(-time.Second).Unix(), "jti": "bind-past"})
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
	if r.status != http.StatusUnauthorized || !strings.Contains(r.body, "expired") {
		t.Fatalf("exchange of an expired token: %d %s", r.status, r.body)
	}
}

// TestWithoutBindToTokenTheSessionOutlivesItsToken is the default the
// issue observed: the session lasts its lifetime.
func TestWithoutBindToTokenTheSessionOutlivesItsToken(t *testing.T) {
	g, _ := startExchangeGateway(t, "")
	now := time.Now()
	tok := sesDevToken(t, g, jwt.MapClaims{"sub": "alice", "iat": now.Unix(), "exp": now.Add(3 * time.Second).Unix(), "jti": "unbound"})
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.Before(now.Add(23 * time.Hour)) {
		t.Fatalf("expires_at %v: want the 24h lifetime", got)
	}
}

func TestSessionDurationIsCappedByLifetime(t *testing.T) {
	g, _ := startExchangeGateway(t, "lifetime 2h")
	for _, tc := range []struct {
		name, extra string
		want        time.Duration // 0: refused
		reason      string
	}{
		{"seconds", `"session_duration":600`, 10 * time.Minute, ""},
		{"a Go duration", `"session_duration":"90m"`, 90 * time.Minute, ""},
		{"a Caddy duration in days is above the lifetime", `"session_duration":"1d"`, 0, "session_duration_too_long"},
		{"exactly the lifetime", `"session_duration":"2h"`, 2 * time.Hour, ""},
		{"above the lifetime", `"session_duration":7201`, 0, "session_duration_too_long"},
		{"zero", `"session_duration":0`, 0, "invalid_session_duration"},
		{"negative", `"session_duration":"-5m"`, 0, "invalid_session_duration"},
		{"malformed", `"session_duration":"soon"`, 0, "invalid_session_duration"},
		{"a fraction of a second count", `"session_duration":1.5`, 0, "invalid_session_duration"},
		{"an overflowing count", `"session_duration":99999999999999`, 0, "invalid_session_duration"},
		{"null is no duration", `"session_duration":null`, 2 * time.Hour, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tok := g.mint("alice")
			start := time.Now().Truncate(time.Second)
			r := exchangeBody(t, g, tok, tc.extra)
			if tc.want == 0 {
				wantReason(t, r, http.StatusBadRequest, tc.reason)
				// The token was not spent: it still exchanges.
				wantStatus(t, exchangeBody(t, g, tok, ""), http.StatusCreated)
				return
			}
			wantStatus(t, r, http.StatusCreated)
			if got := expiresAt(t, r); got.Before(start.Add(tc.want)) || got.After(start.Add(tc.want+2*time.Second)) {
				t.Errorf("expires_at %v, want about now + %v", got, tc.want)
			}
		})
	}
}

// TestSessionDurationEndsTheSession: Stytch's session_duration_minutes is
// kept, not only reported: a session asked for 2 s ends then (its cookie
// too), while one exchanged beside it without a duration lives on.
func TestSessionDurationEndsTheSession(t *testing.T) {
	g, _ := startExchangeGateway(t, "lifetime 2h")
	short := exchangeBody(t, g, g.mint("alice"), `"session_duration":2`)
	wantStatus(t, short, http.StatusCreated)
	if c := sesCookie(t, short); c.MaxAge > 2 || c.MaxAge <= 0 {
		t.Errorf("cookie Max-Age %d, want at most the 2 s asked for", c.MaxAge)
	}
	long := exchangeBody(t, g, g.mint("alice"), "")
	wantStatus(t, long, http.StatusCreated)
	wantStatus(t, g.do("GET", "/", cookieOf(t, short)), http.StatusOK)
	sesWaitFor(t, 8*time.Second, "the session ends at its session_duration", func() bool {
		return g.do("GET", "/", cookieOf(t, short)).status == http.StatusUnauthorized
	})
	wantReason(t, g.do("GET", "/", cookieOf(t, short)), http.StatusUnauthorized, "session_expired")
	wantStatus(t, g.do("GET", "/", cookieOf(t, long)), http.StatusOK)
}

// TestExchangeNeverLetsTheClientChooseItsClaims: claims come from the
// verified token (or the admin API), never from the exchange body.
func TestExchangeNeverLetsTheClientChooseItsClaims(t *testing.T) {
	g, _ := startExchangeGateway(t, "")
	for _, member := range []string{"claims", "session_custom_claims", "custom_claims"} {
		t.Run(member, func(t *testing.T) {
			r := exchangeBody(t, g, g.mint("mallory"), `"`+member+`":{"roles":["admin"]}`)
			wantReason(t, r, http.StatusBadRequest, "claims_not_allowed")
		})
	}
	// Claims smuggled in another member are ignored, never stored.
	r := exchangeBody(t, g, g.mint("mallory"), `"roles":["admin"],"session":{"claims":{"roles":["admin"]}}`)
	wantStatus(t, r, http.StatusCreated)
	up := g.do("GET", "/", "Cookie: "+sessionCookieName+"="+sesCookie(t, r).Value)
	if got := up.upstream.Get("X-Auth-Roles"); got != "" {
		t.Fatalf("X-Auth-Roles = %q: the body chose a claim", got)
	}
	// A Bearer token and a body token at once is two credentials.
	r = send(t, g.base, "POST", "/.authgate/session", `{"id_token":"`+g.mint("eve")+`"}`, jsonCT, "Authorization: Bearer "+g.mint("mallory"))
	wantReason(t, r, http.StatusUnauthorized, "malformed")
	// A Bearer token with options in a JSON body.
	r = send(t, g.base, "POST", "/.authgate/session", `{"session_duration":60}`, jsonCT, "Authorization: Bearer "+g.mint("mallory"))
	wantStatus(t, r, http.StatusCreated)
	if got := expiresAt(t, r); got.After(time.Now().Add(62 * time.Second)) {
		t.Errorf("expires_at %v ignores session_duration beside a Bearer token", got)
	}
}
