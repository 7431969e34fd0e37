package caddymodule

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
)

// Session tokens as Bearer credentials (session { bearer on }): a
// non-browser client exchanges an identity-provider token for a session
// token in the answer's body and sends it as Authorization: Bearer. A
// session token is the gateway's own: it never reaches the app, a JWT
// verifier or an introspection endpoint, which the counting authorization
// server below proves.

const bearerSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		introspect oauth {
			url {AS}/introspect
			mode rfc7662
			client_id gateway
			client_secret s3cret
			from header Authorization Bearer
			same_subjects dev
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			{BEARER}
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /optional/* {
		authgate {
			optional
		}
		reverse_proxy {UPSTREAM}
	}
	handle /strip/* {
		authgate {
			strip_credentials
		}
		reverse_proxy {UPSTREAM}
	}
	handle /cookieonly/* {
		authgate {
			optional
			verifiers session
		}
		reverse_proxy {UPSTREAM}
	}
	handle /introspected/* {
		authgate {
			verifiers oauth
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// bearerFixture is a gateway with sessions, an introspect block reading
// the same Authorization header, and Caddy's admin API.
type bearerFixture struct {
	g     *gateway
	admin string
	// introspections counts the calls the authorization server got.
	introspections *atomic.Int64
}

func startBearerGateway(t *testing.T, bearer string) *bearerFixture {
	t.Helper()
	calls := new(atomic.Int64)
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "application/json")
		if r.PostForm.Get("token") == "at-alice-opaque" {
			fmt.Fprintf(w, `{"active":true,"sub":"alice","exp":%d}`, time.Now().Add(time.Hour).Unix())
			return
		}
		_, _ = w.Write([]byte(`{"active":false}`))
	}))
	t.Cleanup(as.Close)
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("{ADMIN}", admin, "{AS}", as.URL, "{BEARER}", bearer,
		"{UPSTREAM}", echoUpstream(t).URL).Replace(bearerSite)
	return &bearerFixture{g: startGateway(t, site), admin: "http://" + admin, introspections: calls}
}

// exchangeForToken exchanges a fresh dev token of sub for a session token
// in the answer's body, as a mobile app or service client does.
func (f *bearerFixture) exchangeForToken(sub string) (token, sessionID string) {
	f.g.t.Helper()
	r := send(f.g.t, f.g.base, "POST", "/.authgate/session", `{"return":"token"}`,
		"Authorization: Bearer "+f.g.mint(sub, "email="+sub+"@example.com"), jsonCT)
	wantStatus(f.g.t, r, http.StatusCreated)
	var body struct {
		Token string `json:"session_token"`
		ID    string `json:"session_id"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || !session.HasTokenPrefix(body.Token) || body.ID == "" {
		f.g.t.Fatalf("exchange answer %s", r.body)
	}
	if r.header.Get("Set-Cookie") != "" || r.header.Get("Cache-Control") != "no-store" {
		f.g.t.Fatalf("a token answer set a cookie or may be cached: %v", r.header)
	}
	return body.Token, body.ID
}

func (f *bearerFixture) wantNoIntrospection(t *testing.T) {
	t.Helper()
	if n := f.introspections.Load(); n != 0 {
		t.Fatalf("the introspection endpoint was called %d times", n)
	}
}

// wantNoSessionUpstream fails when the app saw the session token, or any
// Authorization or session cookie at all.
func wantNoSessionUpstream(t *testing.T, r response, token string) {
	t.Helper()
	wantNothingUnverified(t, r, token)
	if r.upstream.Get("Authorization") != "" || strings.Contains(r.upstream.Get("Cookie"), sessionCookieName) {
		t.Fatalf("session credential upstream: %v", r.upstream)
	}
}

func TestSessionTokenAsBearerFromANonBrowserClient(t *testing.T) {
	f := startBearerGateway(t, "bearer on")
	tok, id := f.exchangeForToken("alice")
	bearer := "Authorization: Bearer " + tok
	for _, path := range []string{"/", "/strip/x", "/optional/x"} {
		t.Run("the app gets the identity and never the token at "+path, func(t *testing.T) {
			r := f.g.do("GET", path, bearer, "Cookie: theme=dark")
			wantStatus(t, r, http.StatusOK)
			if r.upstream.Get("X-Auth-User-Id") != "alice" || r.upstream.Get("X-Auth-Session-Id") != id ||
				r.upstream.Get("X-Auth-Email") != "alice@example.com" || r.upstream.Get("Cookie") != "theme=dark" {
				t.Fatalf("upstream saw %v", r.upstream)
			}
			wantNoSessionUpstream(t, r, tok)
		})
	}
	t.Run("who am I answers for the bearer session", func(t *testing.T) {
		r := f.g.do("GET", "/.authgate/session", bearer)
		wantStatus(t, r, http.StatusOK)
		if !strings.Contains(r.body, `"session_id":"`+id+`"`) || strings.Contains(r.body, tok) {
			t.Fatalf("who am I: %s", r.body)
		}
	})
	t.Run("an id_token in a JSON body can ask for the token too", func(t *testing.T) {
		r := send(t, f.g.base, "POST", "/.authgate/session", `{"id_token":"`+f.g.mint("bob")+`","return":"token"}`, jsonCT)
		wantStatus(t, r, http.StatusCreated)
		if !strings.Contains(r.body, `"session_token":"`+session.TokenPrefix) {
			t.Fatalf("answer %s", r.body)
		}
	})
	t.Run("without return the exchange still answers with a cookie, whatever Accept says", func(t *testing.T) {
		for _, body := range []string{``, `{}`, `{"return":"cookie"}`} {
			r := send(t, f.g.base, "POST", "/.authgate/session", body, "Authorization: Bearer "+f.g.mint("carol"), jsonCT,
				"Accept: application/json")
			wantStatus(t, r, http.StatusCreated)
			if c := sesCookie(t, r); !session.HasTokenPrefix(c.Value) || strings.Contains(r.body, "session_token") {
				t.Fatalf("cookie answer %s", r.body)
			}
		}
	})
	t.Run("attesting a cookie session with return token moves it to the body", func(t *testing.T) {
		c := sesCookie(t, send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+f.g.mint("dave")))
		r := send(t, f.g.base, "POST", "/.authgate/session", `{"return":"token"}`, "Authorization: Bearer "+f.g.mint("dave"),
			jsonCT, "Cookie: "+sessionCookieName+"="+c.Value)
		wantStatus(t, r, http.StatusCreated)
		var body struct {
			Token string `json:"session_token"`
		}
		if err := json.Unmarshal([]byte(r.body), &body); err != nil || !session.HasTokenPrefix(body.Token) || !sesCleared(r) {
			t.Fatalf("attest answer %s, cookie cleared %v", r.body, sesCleared(r))
		}
		wantReason(t, f.g.do("GET", "/", "Cookie: "+sessionCookieName+"="+c.Value), http.StatusUnauthorized, "session_revoked")
		wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+body.Token), http.StatusOK)
	})
	t.Run("an opaque token of the authorization server still goes to introspection", func(t *testing.T) {
		r := f.g.do("GET", "/introspected/x", "Authorization: Bearer at-alice-opaque")
		wantStatus(t, r, http.StatusOK)
		if r.upstream.Get("X-Auth-User-Id") != "alice" || f.introspections.Load() != 1 {
			t.Fatalf("upstream %v, %d introspections", r.upstream, f.introspections.Load())
		}
		f.introspections.Store(0)
	})
	f.wantNoIntrospection(t)
}

func TestSessionBearerLogoutNeedsTheToken(t *testing.T) {
	f := startBearerGateway(t, "bearer on")
	tok, _ := f.exchangeForToken("alice")
	other, _ := f.exchangeForToken("alice")
	bearer := "Authorization: Bearer " + tok
	t.Run("a cross-site logout is refused and ends nothing", func(t *testing.T) {
		r := send(t, f.g.base, "POST", "/.authgate/logout", "", bearer, "Origin: https://evil.example")
		wantReason(t, r, http.StatusForbidden, "cross_site")
		wantStatus(t, f.g.do("GET", "/", bearer), http.StatusOK)
	})
	t.Run("a logout without the token ends nothing", func(t *testing.T) {
		wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", ""), http.StatusNoContent)
		wantStatus(t, f.g.do("GET", "/", bearer), http.StatusOK)
	})
	t.Run("a logout with the token ends its session only", func(t *testing.T) {
		wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", "", bearer), http.StatusNoContent)
		wantReason(t, f.g.do("GET", "/", bearer), http.StatusUnauthorized, "session_revoked")
		wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+other), http.StatusOK)
	})
	f.wantNoIntrospection(t)
}

func TestSessionBearerRevokedThroughTheAdminAPIIsRefusedAtOnce(t *testing.T) {
	f := startBearerGateway(t, "bearer on")
	tok, id := f.exchangeForToken("alice")
	bearer := "Authorization: Bearer " + tok
	wantStatus(t, f.g.do("GET", "/", bearer), http.StatusOK) // now in the session cache
	wantStatus(t, send(t, f.admin, "DELETE", "/authgate/sessions/"+id, "", jsonCT), http.StatusNoContent)
	wantReason(t, f.g.do("GET", "/", bearer), http.StatusUnauthorized, "session_revoked")
	f.wantNoIntrospection(t)
}

func TestSessionTokenAsBearerIsRefusedWhenBearerIsOff(t *testing.T) {
	f := startBearerGateway(t, "")
	idp := f.g.mint("alice")
	t.Run("an exchange asking for the token is 400 and does not use the token up", func(t *testing.T) {
		r := send(t, f.g.base, "POST", "/.authgate/session", `{"return":"token"}`, "Authorization: Bearer "+idp, jsonCT)
		wantStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(r.body, `"reason":"bearer_disabled"`) || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("answer %s", r.body)
		}
	})
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+idp)
	wantStatus(t, r, http.StatusCreated)
	tok := sesCookie(t, r).Value
	for _, path := range []string{"/", "/optional/x", "/introspected/x"} {
		t.Run("the cookie's token as Bearer is bad_issuer at "+path, func(t *testing.T) {
			wantReason(t, f.g.do("GET", path, "Authorization: Bearer "+tok), http.StatusUnauthorized, "bad_issuer")
		})
	}
	for _, tc := range []struct{ name, header string }{
		{"well framed", "Authorization: Bearer " + tok},
		{"with two spaces", "Authorization: Bearer  " + tok},
		{"in lower case with a tab", "authorization: bearer\t" + tok},
	} {
		t.Run("a session token "+tc.name+" never reaches the app of a route that does not read it", func(t *testing.T) {
			r := f.g.rawGet("/cookieonly/x", tc.header)
			wantStatus(t, r, http.StatusOK)
			if r.upstream.Get("X-Auth-User-Id") != "" {
				t.Fatalf("upstream saw %v", r.upstream)
			}
			wantNoSessionUpstream(t, r, tok)
		})
	}
	t.Run("the cookie works and never reaches the app, without strip_credentials", func(t *testing.T) {
		r := f.g.do("GET", "/", "Cookie: theme=dark; "+sessionCookieName+"="+tok)
		wantStatus(t, r, http.StatusOK)
		if r.upstream.Get("X-Auth-User-Id") != "alice" || r.upstream.Get("Cookie") != "theme=dark" {
			t.Fatalf("upstream saw %v", r.upstream)
		}
	})
	f.wantNoIntrospection(t)
}

func TestSessionBearerAttacks(t *testing.T) {
	f := startBearerGateway(t, "bearer on")
	tok, _ := f.exchangeForToken("alice")
	last := tok[len(tok)-1]
	flipped := byte('A')
	if last == 'A' {
		flipped = 'B'
	}
	tampered := tok[:len(tok)-1] + string(flipped)
	unknown, _ := session.NewToken()
	refused := []struct {
		name, path string
		headers    []string
		wantReason string
	}{
		{"a tampered token", "/", []string{"Authorization: Bearer " + tampered}, "session_revoked"},
		{"an unknown token", "/", []string{"Authorization: Bearer " + unknown}, "session_revoked"},
		{"a short prefixed token", "/", []string{"Authorization: Bearer " + session.TokenPrefix + "x"}, "session_revoked"},
		{"a tampered token on an optional route", "/optional/x", []string{"Authorization: Bearer " + tampered}, "session_revoked"},
		{"a tampered token on a route of introspection only", "/introspected/x", []string{"Authorization: Bearer " + tampered}, "bad_issuer"},
		{"a live token on a route of introspection only", "/introspected/x", []string{"Authorization: Bearer " + tok}, "bad_issuer"},
		{"a very long prefixed token", "/", []string{"Authorization: Bearer " + session.TokenPrefix + strings.Repeat("a", 16<<10)}, "too_large"},
		{"the token twice in one header", "/", []string{"Authorization: Bearer " + tok + ", Bearer " + tok}, "malformed"},
		{"two Authorization headers", "/", []string{"Authorization: Bearer " + tok, "Authorization: Bearer " + tok}, "malformed"},
		{"a forged token after the real one", "/", []string{"Authorization: Bearer " + tok, "Authorization: Bearer " + tampered}, "malformed"},
		{"Bearer and two spaces", "/", []string{"Authorization: Bearer  " + tok}, "malformed"},
		{"Bearer and a tab", "/optional/x", []string{"Authorization: Bearer\t" + tok}, "malformed"},
		{"the token with no scheme", "/", []string{"Authorization: " + tok}, "missing_credential"},
		{"the token in the cookie and the header", "/", []string{"Authorization: Bearer " + tok, "Cookie: " + sessionCookieName + "=" + tok}, "malformed"},
		{"a forged cookie next to the real bearer", "/", []string{"Authorization: Bearer " + tok, "Cookie: " + sessionCookieName + "=" + tampered}, "malformed"},
		{"the cookie and the header on an optional route", "/optional/x", []string{"Cookie: " + sessionCookieName + "=" + tok, "Authorization: Bearer " + tok}, "malformed"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			r := f.g.rawGet(tc.path, tc.headers...)
			wantReason(t, r, http.StatusUnauthorized, tc.wantReason)
			if r.upstream != nil {
				t.Fatalf("a refused request reached the app: %v", r.upstream)
			}
		})
	}
	for _, scheme := range []string{"bearer", "BEARER", "BeArEr"} {
		t.Run("the scheme spelled "+scheme+" is the same credential, stripped upstream", func(t *testing.T) {
			r := f.g.rawGet("/", "Authorization: "+scheme+" "+tok)
			wantStatus(t, r, http.StatusOK)
			wantNoSessionUpstream(t, r, tok)
		})
	}
	t.Run("a Basic header next to the session cookie passes untouched, the cookie does not", func(t *testing.T) {
		c := sesCookie(t, send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+f.g.mint("bob")))
		r := f.g.rawGet("/", "Cookie: "+sessionCookieName+"="+c.Value, "Authorization: Basic dXNlcjpwYXNz")
		wantStatus(t, r, http.StatusOK)
		if r.upstream.Get("Authorization") != "Basic dXNlcjpwYXNz" || strings.Contains(r.upstream.Get("Cookie"), c.Value) {
			t.Fatalf("upstream saw %v", r.upstream)
		}
	})
	t.Run("a session token cannot be exchanged for another session", func(t *testing.T) {
		r := send(t, f.g.base, "POST", "/.authgate/session", `{"return":"token"}`, "Authorization: Bearer "+tok, jsonCT)
		wantReason(t, r, http.StatusUnauthorized, "bad_issuer")
	})
	t.Run("an unknown return value is 400", func(t *testing.T) {
		r := send(t, f.g.base, "POST", "/.authgate/session", `{"return":"jwt"}`, "Authorization: Bearer "+f.g.mint("alice"), jsonCT)
		wantStatus(t, r, http.StatusBadRequest)
		if !strings.Contains(r.body, `"reason":"unknown_return"`) {
			t.Fatalf("answer %s", r.body)
		}
	})
	f.wantNoIntrospection(t)
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK)
}
