package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Attacks on the session credentials carried between stacked authgate
// handlers: the copy a first handler removes must never reach an upstream
// by any path Caddy offers after the second handler (a response
// interception that proxies the refusal, handle_errors, a rewrite, a
// subrequest), and the second handler must never read a session the first
// one read and did not accept.

const attackStackedSite = `{
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
	handle /intercept/* {
		route {
			authgate
			intercept {
				@refused status 401 403
				handle_response @refused {
					reverse_proxy {UPSTREAM} {
						header_up X-Seen-Cookie "{http.request.cookie.__Host-authgate_session}"
						header_up X-Seen-Header "{http.request.header.Cookie}"
						header_up X-Seen-Auth "{http.request.header.Authorization}"
					}
				}
			}
			authgate {
				require plan one_of pro
			}
			reverse_proxy {UPSTREAM}
		}
	}
	handle /intercept-issuer/* {
		route {
			authgate
			intercept {
				@refused status 401 403
				handle_response @refused {
					reverse_proxy {UPSTREAM}
				}
			}
			authgate {
				verifiers dev
			}
			reverse_proxy {UPSTREAM}
		}
	}
	handle /intercept-single/* {
		route {
			intercept {
				@refused status 401 403
				handle_response @refused {
					reverse_proxy {UPSTREAM}
				}
			}
			authgate {
				require plan one_of pro
			}
			reverse_proxy {UPSTREAM}
		}
	}
	handle /errors/* {
		route {
			authgate
			authgate
			error "boom" 500
		}
	}
	handle /rewrite/* {
		route {
			authgate
			rewrite * /rewritten{path}
			authgate
			reverse_proxy {UPSTREAM}
		}
	}
	handle /forward/* {
		route {
			authgate
			forward_auth {SNOOP} {
				uri /check
				copy_headers X-Saw-Session>X-Saw-Before
			}
			authgate
			forward_auth {SNOOP} {
				uri /check
				copy_headers X-Saw-Session>X-Saw-After
			}
			reverse_proxy {UPSTREAM}
		}
	}
	handle /respond/* {
		route {
			authgate
			authgate
			respond "c={http.request.header.Cookie} k={http.request.cookie.__Host-authgate_session} a={http.request.header.Authorization}" 200
		}
	}
	handle /single/* {
		authgate
		reverse_proxy {UPSTREAM}
	}
	handle /mixed/* {
		route {
			authgate
			authgate
			reverse_proxy {UPSTREAM}
		}
	}
	handle /mixed-strip/* {
		route {
			authgate {
				strip_credentials
				require role one_of admin
			}
			authgate
			reverse_proxy {UPSTREAM}
		}
	}
	handle /tokens-then-sessions/* {
		route {
			authgate {
				verifiers dev
				require role one_of admin
			}
			authgate {
				verifiers session dev
			}
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
	handle_errors {
		reverse_proxy {UPSTREAM}
	}
}
`

func startAttackStackedGateway(t *testing.T) *gateway {
	t.Helper()
	site := strings.ReplaceAll(attackStackedSite, "{UPSTREAM}", echoUpstream(t).URL)
	return startGateway(t, strings.ReplaceAll(site, "{SNOOP}", snoopUpstream(t).URL))
}

// snoopUpstream answers every request 200 with X-Saw-Session: yes when
// any of its headers holds a session token, no otherwise.
func snoopUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw := "no"
		for _, values := range r.Header {
			for _, v := range values {
				if strings.Contains(v, "ags_") {
					saw = "yes"
				}
			}
		}
		w.Header().Set("X-Saw-Session", saw)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// sesBearerToken exchanges a dev token of sub for a session token.
func sesBearerToken(t *testing.T, g *gateway, sub string, claims ...string) string {
	t.Helper()
	r := send(t, g.base, "POST", "/.authgate/session", `{"return":"token"}`,
		"Authorization: Bearer "+g.mint(sub, claims...), jsonCT)
	wantStatus(t, r, http.StatusCreated)
	var body struct {
		Token string `json:"session_token"`
	}
	if err := jsonUnmarshal(r.body, &body); err != nil || body.Token == "" {
		t.Fatalf("exchange answer %s", r.body)
	}
	return body.Token
}

// A second handler that refuses puts nothing back into the request that
// the handlers before it see: an intercept between the two that proxies
// the refusal sent the session cookie or token (and placeholders read
// them) to its upstream, although the first handler had removed them.
func TestStackedRefusalProxiedByInterceptCarriesNoSession(t *testing.T) {
	g := startAttackStackedGateway(t)
	cookieTok := sesExchange(t, g, "frank", `plan="free"`)
	bearerTok := sesBearerToken(t, g, "gina", `plan="free"`)
	cases := []struct {
		path, header, token string
	}{
		{"/intercept/x", "Cookie: app=1; " + sessionCookieName + "=" + cookieTok, cookieTok},
		{"/intercept/x", "Authorization: Bearer " + bearerTok, bearerTok},
		{"/intercept-issuer/x", "Cookie: " + sessionCookieName + "=" + cookieTok, cookieTok},
		{"/intercept-issuer/x", "Authorization: Bearer " + bearerTok, bearerTok},
	}
	for _, c := range cases {
		r := g.do("GET", c.path, c.header)
		if r.upstream == nil {
			t.Fatalf("%s %s: the intercept did not proxy the refusal: %d %s", c.path, c.header[:7], r.status, r.body)
		}
		wantNoSessionUpstream(t, r, c.token)
		for _, name := range []string{"X-Seen-Cookie", "X-Seen-Header", "X-Seen-Auth"} {
			if v := r.upstream.Get(name); strings.Contains(v, "ags_") || strings.Contains(v, sessionCookieName) {
				t.Errorf("%s: placeholder %s read the carried session: %q", c.path, name, v)
			}
		}
	}
}

// One handler is enough: an intercept before it that proxies its refusal
// must not send the session on either. The session credentials are
// removed from every proxied request, and a refused one that a
// handle_response proxies is one.
func TestRefusalProxiedByInterceptCarriesNoSession(t *testing.T) {
	g := startAttackStackedGateway(t)
	free := sesExchange(t, g, "olga", `plan="free"`)
	bearer := sesBearerToken(t, g, "pete", `plan="free"`)
	revoked := sesExchange(t, g, "rita", `plan="pro"`)
	wantStatus(t, send(t, g.base, "POST", "/.authgate/logout", "", "Cookie: "+sessionCookieName+"="+revoked), http.StatusNoContent)
	for _, c := range []struct{ header, token string }{
		{"Cookie: app=1; " + sessionCookieName + "=" + free, free},
		{"Authorization: Bearer " + bearer, bearer},
		{"Cookie: " + sessionCookieName + "=" + revoked, revoked},
		{"Cookie: " + sessionCookieName + "=" + free + "; " + sessionCookieName + "=" + revoked, revoked},
	} {
		r := g.do("GET", "/intercept-single/x", c.header)
		if r.upstream == nil {
			t.Fatalf("%s: the intercept did not proxy the refusal: %d %s", c.header, r.status, r.body)
		}
		wantNoSessionUpstream(t, r, c.token)
		wantNothingUnverified(t, r, free)
	}
}

// After the second handler passes a request on, an error, a rewrite or
// a forward_auth subrequest finds no session credential either.
func TestStackedSessionNeverReachesErrorsRewritesOrSubrequests(t *testing.T) {
	g := startAttackStackedGateway(t)
	cookieTok := sesExchange(t, g, "hana", `plan="pro"`)
	bearerTok := sesBearerToken(t, g, "ivan", `plan="pro"`)
	for _, c := range []struct{ header, token, sub string }{
		{"Cookie: " + sessionCookieName + "=" + cookieTok + "; app=1", cookieTok, "hana"},
		{"Authorization: Bearer " + bearerTok, bearerTok, "ivan"},
	} {
		r := g.do("GET", "/errors/x", c.header)
		if r.upstream == nil {
			t.Fatalf("handle_errors did not proxy: %d %s", r.status, r.body)
		}
		wantNoSessionUpstream(t, r, c.token)
		wantStackedUser(t, g.do("GET", "/rewrite/x", c.header), c.sub, c.token)
		r = g.do("GET", "/forward/x", c.header)
		wantStackedUser(t, r, c.sub, c.token)
		// forward_auth subrequests between the handlers and after the
		// second one: neither sees the session.
		if before, after := r.upstream.Get("X-Saw-Before"), r.upstream.Get("X-Saw-After"); before != "no" || after != "no" {
			t.Fatalf("forward_auth saw the session: before %q, after %q", before, after)
		}
		// Placeholders read after the second handler find nothing either.
		r = g.do("GET", "/respond/x", c.header)
		wantStatus(t, r, http.StatusOK)
		if strings.Contains(r.body, "ags_") || strings.Contains(r.body, sessionCookieName) {
			t.Fatalf("placeholders after the second handler read the session: %s", r.body)
		}
	}
}

// The second handler must not read a session credential the first one
// read and did not accept: before sessions were carried, the first
// handler removed a credential it read but did not accept, so the second
// one authenticated the identity the first one had checked. A client
// sending a JWT and someone else's session must not be checked as one
// subject by the first handler and forwarded as another by the second.
func TestStackedSecondHandlerReadsNoUnacceptedSession(t *testing.T) {
	g := startAttackStackedGateway(t)
	cookieTok := sesExchange(t, g, "eve", `plan="pro"`)
	bearerTok := sesBearerToken(t, g, "erin", `plan="pro"`)
	jwt := "Authorization: Bearer " + g.mint("mallory")
	cookie := "Cookie: " + sessionCookieName + "=" + cookieTok
	single := g.do("GET", "/single/x", jwt, cookie)
	stacked := g.do("GET", "/mixed/x", jwt, cookie)
	if single.status != stacked.status || single.upstream.Get("X-Auth-User-Id") != stacked.upstream.Get("X-Auth-User-Id") {
		t.Fatalf("one handler: %d user %q; two: %d user %q (%s)", single.status, single.upstream.Get("X-Auth-User-Id"),
			stacked.status, stacked.upstream.Get("X-Auth-User-Id"), stacked.body)
	}
	wantNothingUnverified(t, stacked, cookieTok)
	// The first handler checks mallory's role and removes every credential
	// it reads: eve's session, which it never accepted, must not be
	// authenticated by the second handler and reach the app as eve.
	admin := "Authorization: Bearer " + g.mint("mallory", `role="admin"`)
	wantReason(t, g.do("GET", "/mixed-strip/x", admin, cookie), http.StatusUnauthorized, "missing_credential")
	// Without the JWT, the session is the first handler's to check.
	wantStatus(t, g.do("GET", "/mixed-strip/x", "Authorization: Bearer "+bearerTok), http.StatusForbidden)
	// A first handler that reads no session but accepted a JWT carries no
	// session either: a second one that reads the session first would
	// otherwise pass on as eve a request whose admin role was mallory's.
	r := g.do("GET", "/tokens-then-sessions/x", admin, cookie)
	wantStatus(t, r, http.StatusOK)
	if got := r.upstream.Get("X-Auth-User-Id"); got != "mallory" {
		t.Fatalf("checked as mallory by the first handler, passed on as %q", got)
	}
	wantNothingUnverified(t, r, cookieTok)
	// Without the JWT the first handler refuses (it reads no session).
	wantStatus(t, g.do("GET", "/tokens-then-sessions/x", cookie), http.StatusUnauthorized)
	// A session token as Bearer and a session cookie in one request are
	// malformed at every handler that reads both.
	r = g.do("GET", "/mixed/x", "Authorization: Bearer "+bearerTok, cookie)
	wantReason(t, r, http.StatusUnauthorized, "malformed")
}

// A first handler that does not read sessions and accepted a JWT carries
// no session: two copies in separate Cookie headers, or a copy hidden
// after a comma, reach neither the second handler nor the app.
func TestStackedSessionThroughATokenOnlyFirstHandler(t *testing.T) {
	g := startAttackStackedGateway(t)
	tok := sesExchange(t, g, "kim", `plan="pro"`)
	other := sesExchange(t, g, "lee", `plan="pro"`)
	jwt := "Authorization: Bearer " + g.mint("mallory")
	r := g.rawGet("/tokens/x", jwt, "Cookie: "+sessionCookieName+"="+tok, "Cookie: "+sessionCookieName+"="+other)
	wantStatus(t, r, http.StatusOK)
	wantNothingUnverified(t, r, tok)
	wantNothingUnverified(t, r, other)
	if got := r.upstream.Get("X-Auth-User-Id"); got != "mallory" {
		t.Fatalf("two session cookies through a token-only handler reached the app as %q", got)
	}
	r = g.rawGet("/tokens/x", jwt, "Cookie: app=1, "+sessionCookieName+"="+tok)
	wantStatus(t, r, http.StatusOK)
	wantNothingUnverified(t, r, tok)
	// Without a JWT the first handler refuses a session (it reads none).
	wantStatus(t, g.do("GET", "/tokens/x", "Cookie: "+sessionCookieName+"="+tok), http.StatusUnauthorized)
}

const stackedBindSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			bind_host
		}
	}
}
http://127.0.0.1:{PORT}, http://localhost:{PORT} {
	handle /stack/* {
		route {
			authgate
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
	handle /tokens-optional/* {
		route {
			authgate {
				verifiers dev
				optional
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
`

// The second handler checks a carried session as fully as a single one:
// a session bound to another site, tampered with or logged out is
// refused there, whether the first handler refused it already, let an
// anonymous request through (optional) or does not read sessions (it
// never checked it). No first handler turns a refused session into an
// accepted one.
func TestStackedSecondHandlerRefusesWhatAFirstWould(t *testing.T) {
	g := startGateway(t, strings.ReplaceAll(stackedBindSite, "{UPSTREAM}", echoUpstream(t).URL))
	tok := sesExchange(t, g, "quinn")
	cookie := "Cookie: " + sessionCookieName + "=" + tok
	other := "Host: localhost:" + strings.TrimPrefix(g.base, "http://127.0.0.1:")
	paths := []string{"/stack/x", "/optional/x", "/tokens-optional/x"}
	for _, path := range paths {
		wantStackedUser(t, g.do("GET", path, cookie), "quinn", tok)
		r := g.do("GET", path, cookie, other)
		wantStatus(t, r, http.StatusUnauthorized)
		if r.upstream != nil {
			t.Fatalf("%s: a session bound to another site reached the app: %v", path, r.upstream)
		}
	}
	tampered := tok[:len(tok)-1] + map[bool]string{true: "A", false: "B"}[!strings.HasSuffix(tok, "A")]
	for _, path := range paths {
		wantReason(t, g.do("GET", path, "Cookie: "+sessionCookieName+"="+tampered), http.StatusUnauthorized, "session_revoked")
	}
	// A first handler that reads no session carries whatever the client
	// sends under the session's name: an oversized value or hundreds of
	// copies are refused at the second handler as at a single one.
	huge := "Cookie: " + sessionCookieName + "=ags_" + strings.Repeat("A", 12000)
	many := "Cookie: " + strings.Repeat(sessionCookieName+"="+tok+"; ", 300) + "app=1"
	for _, h := range []string{huge, many} {
		for _, path := range []string{"/tokens-optional/x", "/x"} {
			r := g.do("GET", path, h)
			wantStatus(t, r, http.StatusUnauthorized)
			if r.upstream != nil {
				t.Fatalf("%s: reached the app: %v", path, r.upstream)
			}
		}
	}
	wantStatus(t, send(t, g.base, "POST", "/.authgate/logout", "", cookie), http.StatusNoContent)
	for _, path := range paths {
		wantReason(t, g.do("GET", path, cookie), http.StatusUnauthorized, "session_revoked")
	}
}

// authgate_requests_total counts decisions, one per handler: a request
// through two stacked handlers counts once at each (docs/operations.md
// says so), and a refusal at the second counts the first one's allowance
// and the refusal.
func TestStackedHandlersCountOneDecisionEach(t *testing.T) {
	g := startAttackStackedGateway(t)
	pro := sesExchange(t, g, "sam", `plan="pro"`)
	free := sesExchange(t, g, "tia", `plan="free"`)
	count := func(outcome string) float64 {
		return metricSum(t, "authgate_requests_total", map[string]string{"outcome": outcome})
	}
	allowed, forbidden := count("allowed"), count("forbidden")
	wantStackedUser(t, g.do("GET", "/mixed/x", "Cookie: "+sessionCookieName+"="+pro), "sam", pro)
	if got := count("allowed") - allowed; got != 2 {
		t.Fatalf("two stacked handlers counted %v allowed decisions, want 2", got)
	}
	allowed = count("allowed")
	wantStatus(t, g.do("GET", "/intercept/x", "Cookie: "+sessionCookieName+"="+free), http.StatusOK) // the intercept's answer
	if a, f := count("allowed")-allowed, count("forbidden")-forbidden; a != 1 || f != 1 {
		t.Fatalf("allowed then refused at the second handler counted allowed %v, forbidden %v; want 1 and 1", a, f)
	}
}
