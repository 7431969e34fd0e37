package caddymodule

import (
	"net/http"
	"strings"
	"testing"
)

// Stacked handlers and sessions: every authgate handler removes the
// session credentials before passing a request on, and a second authgate
// handler on the same request (a site-wide one, then one in a handle
// block, or two in a route) must still see the session the client sent,
// from a copy carried in the request context. The upstream never sees it,
// and no header a client sends stands in for it.

const stackedSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			bearer on
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /stack/* {
		route {
			authgate
			authgate {
				require plan one_of pro
			}
			reverse_proxy {UPSTREAM}
		}
	}
	handle /strip/* {
		route {
			authgate {
				strip_credentials
			}
			authgate
			reverse_proxy {UPSTREAM}
		}
	}
	handle /optional/* {
		route {
			authgate {
				optional
			}
			authgate
			reverse_proxy {UPSTREAM}
		}
	}
	handle /tokens/* {
		route {
			authgate {
				verifiers dev
			}
			authgate
			reverse_proxy {UPSTREAM}
		}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
http://localhost:{PORT} {
	authgate
	handle /pro/* {
		authgate {
			require plan one_of pro
		}
		reverse_proxy {UPSTREAM}
	}
}
`

func startStackedGateway(t *testing.T) *gateway {
	t.Helper()
	return startGateway(t, strings.ReplaceAll(stackedSite, "{UPSTREAM}", echoUpstream(t).URL))
}

// wantUser fails unless the request reached the upstream as sub, with no
// session credential and the app's own cookies as sent.
func wantStackedUser(t *testing.T, r response, sub, token string) {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if got := r.upstream.Get("X-Auth-User-Id"); got != sub {
		t.Fatalf("upstream user %q, want %q", got, sub)
	}
	wantNoSessionUpstream(t, r, token)
}

func TestStackedHandlersSeeTheSessionCookie(t *testing.T) {
	g := startStackedGateway(t)
	tok := sesExchange(t, g, "alice", `plan="pro"`)
	cookie := "Cookie: app=1; " + sessionCookieName + "=" + tok + "; theme=dark"
	for _, path := range []string{"/stack/x", "/strip/x", "/optional/x"} {
		r := g.do("GET", path, cookie)
		wantStackedUser(t, r, "alice", tok)
		if got := r.upstream.Values("Cookie"); strings.Join(got, "|") != "app=1; theme=dark" {
			t.Errorf("%s: upstream cookies %q, want the app's own", path, got)
		}
	}
	// A site-wide handler, then one in a handle block.
	wantStackedUser(t, g.do("GET", "/pro/x", "Host: localhost", cookie), "alice", tok)
	// The session reaches the second handler as sent: two copies are
	// refused there as at the first.
	r := g.rawGet("/stack/x", "Cookie: "+sessionCookieName+"="+tok, "Cookie: "+sessionCookieName+"="+tok)
	wantReason(t, r, http.StatusUnauthorized, "malformed")
}

func TestStackedHandlersSeeTheSessionBearerToken(t *testing.T) {
	g := startStackedGateway(t)
	r := send(t, g.base, "POST", "/.authgate/session", `{"return":"token"}`,
		"Authorization: Bearer "+g.mint("bob", `plan="pro"`), jsonCT)
	wantStatus(t, r, http.StatusCreated)
	var body struct {
		Token string `json:"session_token"`
	}
	if err := jsonUnmarshal(r.body, &body); err != nil || body.Token == "" {
		t.Fatalf("exchange answer %s", r.body)
	}
	bearer := "Authorization: Bearer " + body.Token
	for _, path := range []string{"/stack/x", "/strip/x", "/optional/x"} {
		wantStackedUser(t, g.do("GET", path, bearer), "bob", body.Token)
	}
	wantStackedUser(t, g.do("GET", "/pro/x", "Host: localhost", bearer), "bob", body.Token)
	// A route whose first handler reads tokens only refuses a session
	// token there, as it always did.
	wantReason(t, g.do("GET", "/tokens/x", bearer), http.StatusUnauthorized, "bad_issuer")
}

func TestStackedHandlersSecondRequireRefuses(t *testing.T) {
	g := startStackedGateway(t)
	tok := sesExchange(t, g, "carol", `plan="free"`)
	cookie := "Cookie: " + sessionCookieName + "=" + tok
	for _, host := range []string{"Host: 127.0.0.1", "Host: localhost"} {
		path := map[string]string{"Host: 127.0.0.1": "/stack/x", "Host: localhost": "/pro/x"}[host]
		r := g.do("GET", path, host, cookie)
		wantStatus(t, r, http.StatusForbidden)
		if !strings.Contains(r.body, "plan") {
			t.Errorf("%s: 403 body %s does not name the plan validator", path, r.body)
		}
	}
}

func TestStackedHandlersAfterLogout(t *testing.T) {
	g := startStackedGateway(t)
	tok := sesExchange(t, g, "dave", `plan="pro"`)
	cookie := "Cookie: " + sessionCookieName + "=" + tok
	wantStackedUser(t, g.do("GET", "/stack/x", cookie), "dave", tok)
	wantStatus(t, send(t, g.base, "POST", "/.authgate/logout", "", cookie), http.StatusNoContent)
	for _, path := range []string{"/stack/x", "/optional/x"} {
		wantReason(t, g.do("GET", path, cookie), http.StatusUnauthorized, "session_revoked")
	}
	wantReason(t, g.do("GET", "/pro/x", "Host: localhost", cookie), http.StatusUnauthorized, "session_revoked")
}

// A client cannot hand the second handler a session the first one did
// not see: only what a handler removed is carried, and only in the
// request context.
func TestStackedHandlersRefuseSmuggledSessions(t *testing.T) {
	g := startStackedGateway(t)
	tok := sesExchange(t, g, "eve", `plan="pro"`)
	// The control: the session the client sends reaches the second handler.
	wantStackedUser(t, g.do("GET", "/optional/x", "Cookie: "+sessionCookieName+"="+tok), "eve", tok)
	smuggled := []string{
		"Cookie2: " + sessionCookieName + "=" + tok,
		"X-Authgate-Session: " + tok,
		"X-Auth-Session: " + tok,
		"X-Auth-Session-Token: " + tok,
		"X-Forwarded-Authorization: Bearer " + tok,
		"Proxy-Authorization: Bearer " + tok,
		"X-Original-Cookie: " + sessionCookieName + "=" + tok,
		"Forwarded: for=1.2.3.4;session=" + tok,
	}
	for _, h := range smuggled {
		r := g.rawGet("/optional/x", h)
		wantReason(t, r, http.StatusUnauthorized, "missing_credential")
		// The first handler let a JWT through: the second reads the JWT,
		// never the smuggled session.
		r = g.rawGet("/tokens/x", h, "Authorization: Bearer "+g.mint("mallory"))
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("X-Auth-User-Id"); got != "mallory" || r.upstream.Get("X-Auth-Session-Id") != "" {
			t.Fatalf("%s: upstream user %q session %q, want mallory without a session", h, got, r.upstream.Get("X-Auth-Session-Id"))
		}
	}
}
