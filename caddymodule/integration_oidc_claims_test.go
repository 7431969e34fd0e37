package caddymodule

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/authgate/authgate/internal/oidctest"
)

func TestOIDCSessionClaimsAreRefreshedFromAClaimSource(t *testing.T) {
	var roles atomic.Value
	roles.Store(`["admin"]`)
	source := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/roles/alice" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"roles":%s}`, roles.Load())
	}))
	t.Cleanup(source.Close)
	e := startOIDC(t, oidctest.Options{}, "", "", `claim roles {
			fetch `+source.URL+`/roles/{sub}
			path roles
			max_age 0
		}
		require roles includes admin`)
	// The ID token says viewer; the claim source is the authority.
	e.p.SetUser("alice", map[string]any{"roles": []any{"viewer"}})
	b := e.loggedIn(t, "alice")
	r := b.do("GET", e.g.base+"/api/me", "")
	wantStatus(t, r, http.StatusOK)
	if r.upstream.Get("X-Auth-Roles") != "admin" {
		t.Fatalf("X-Auth-Roles = %q, want the refreshed value", r.upstream.Get("X-Auth-Roles"))
	}
	roles.Store(`["viewer"]`)
	wantStatus(t, b.do("GET", e.g.base+"/api/me", ""), http.StatusForbidden)
}

func TestOIDCSubjectTemplateClaimsFilterAndUserinfo(t *testing.T) {
	e := startOIDC(t, oidctest.Options{}, "subject_template corp:{sub}\n\t\t\tclaims email department\n\t\t\tuserinfo")
	e.p.SetUser("alice", map[string]any{"email": "old@example.com", "roles": []any{"admin"}})
	e.p.AutoLogin("alice")
	b := newBrowser(t)
	_, cb := b.navigate(e.g.base+"/home", atCallback)
	// The ID token was issued with the old values; userinfo, asked at the
	// callback, has the new ones.
	e.p.SetUser("alice", map[string]any{"email": "new@example.com", "department": "ops", "roles": []any{"admin"}})
	page, at := b.navigate(cb, nil)
	if at != e.g.base+"/home" {
		t.Fatalf("login ended at %s", at)
	}
	h := page.upstream
	if h.Get("X-Auth-User-Id") != "corp:alice" || h.Get("X-Auth-Email") != "new@example.com" || h.Get("X-Auth-Roles") != "" {
		t.Fatalf("identity headers: user %q email %q roles %q", h.Get("X-Auth-User-Id"), h.Get("X-Auth-Email"), h.Get("X-Auth-Roles"))
	}
	who := b.do("GET", e.g.base+"/.authgate/session", "")
	if !strings.Contains(who.body, `"department":"ops"`) || strings.Contains(who.body, `"roles"`) {
		t.Fatalf("session claims: %s", who.body)
	}
}

func TestOIDCAuthorizedPartyIsChecked(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts oidctest.Options
		ok   bool
	}{
		{"several audiences without azp are refused", oidctest.Options{ExtraAudience: []string{"other-app"}}, false},
		{"an azp of another client is refused", oidctest.Options{AZP: "other-app"}, false},
		{"several audiences with azp of this client pass", oidctest.Options{ExtraAudience: []string{"other-app"}, AZP: "gateway"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := startOIDC(t, tc.opts)
			b := newBrowser(t)
			page, at := e.login(b, "alice", "/home")
			if tc.ok {
				if at != e.g.base+"/home" || page.upstream.Get("X-Auth-User-Id") != "alice" {
					t.Fatalf("login ended at %s with %d", at, page.status)
				}
				return
			}
			wantLoginFailure(t, page, http.StatusUnauthorized, reasonInvalidIDToken)
		})
	}
}

func TestOIDCConfigErrors(t *testing.T) {
	for _, tc := range []struct{ name, caddyfile, want string }{
		{"login names an unknown provider", `{
	admin off
	authgate {
		dev
	}
}
http://127.0.0.1:{PORT} {
	authgate {
		login oidc nope
	}
}`, "no such oidc block"},
		{"login_url and login oidc together", `{
	admin off
	authgate {
		oidc corp {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com/.authgate/callback
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate {
		login oidc corp
		login_url /login
	}
}`, "cannot both be set"},
		{"two providers on one callback path", `{
	admin off
	authgate {
		oidc a {
			issuer http://127.0.0.1:1
			client_id x
			subject_template a:{sub}
			callback_url https://app.example.com/.authgate/callback
		}
		oidc b {
			issuer http://127.0.0.1:2
			client_id y
			subject_template b:{sub}
			callback_url https://other.example.com/.authgate/callback
		}
	}
}`, "is used by another oidc block"},
		{"two providers handing out the same subjects", `{
	admin off
	authgate {
		oidc a {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com/.authgate/callback
		}
		oidc b {
			issuer http://127.0.0.1:2
			client_id y
			callback_url https://app.example.com/b/callback
		}
	}
}`, "subject_template"},
		{"two blocks for one client of one issuer", `{
	admin off
	authgate {
		oidc a {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com/.authgate/callback
		}
		oidc b {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com/b/callback
		}
	}
}`, "same issuer and client_id"},
		{"a relative callback_url", `{
	admin off
	authgate {
		oidc corp {
			issuer http://127.0.0.1:1
			client_id x
			callback_url /.authgate/callback
		}
	}
}`, "must be an absolute http(s) URL"},
		{"a callback_url with a query", `{
	admin off
	authgate {
		oidc corp {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com/cb?x=1
		}
	}
}`, "must be an absolute http(s) URL"},
		{"a callback_url without a path", `{
	admin off
	authgate {
		oidc corp {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com
		}
	}
}`, "must be an absolute http(s) URL"},
		{"two callback_urls for one host", `{
	admin off
	authgate {
		oidc corp {
			issuer http://127.0.0.1:1
			client_id x
			callback_url https://app.example.com/a https://APP.example.com/b
		}
	}
}`, "two callback_url entries for host app.example.com"},
		{"a client secret that expands to nothing", `{
	admin off
	authgate {
		oidc corp {
			issuer http://127.0.0.1:1
			client_id x
			client_secret {env.AUTHGATE_TEST_UNSET_SECRET}
			callback_url https://app.example.com/.authgate/callback
		}
	}
}`, "client_secret is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantConfigError(t, strings.ReplaceAll(tc.caddyfile, "{PORT}", fmt.Sprint(freePort(t))), tc.want)
		})
	}
}

// TestOIDCReadmeExampleProtectsABrowserApp loads the README's "Protect a
// browser app" Caddyfile, pointed at the test provider, and logs in.
func TestOIDCReadmeExampleProtectsABrowserApp(t *testing.T) {
	p := oidctest.New(t, oidctest.Options{ClientID: "app-gateway", ClientSecret: "s3cret"})
	secret := t.TempDir() + "/oidc"
	if err := os.WriteFile(secret, []byte("s3cret"), 0o600); err != nil {
		t.Fatal(err)
	}
	site := strings.NewReplacer(
		"{\n\tauthgate {\n\t\toidc", "{\n\tadmin off\n\tauthgate {\n\t\toidc",
		"https://idp.example.com", p.Issuer(),
		"/run/secrets/oidc", secret,
		"https://app.example.com/", "http://127.0.0.1:{PORT}/",
		"app.example.com", "http://127.0.0.1:{PORT}",
		"legacy-app:8080", echoUpstream(t).URL,
	).Replace(readmeExample(t, "oidc-browser-app"))
	g := startGateway(t, site)
	p.AllowRedirect(g.base + "/.authgate/callback")
	e := &oidcEnv{g: g, p: p}

	p.SetUser("alice", map[string]any{"email": "alice@example.com", "email_verified": true})
	page, at := e.login(newBrowser(t), "alice", "/inbox")
	if at != g.base+"/inbox" || page.upstream.Get("X-Auth-Email") != "alice@example.com" {
		t.Fatalf("login ended at %s with %d", at, page.status)
	}
	p.SetUser("bob", map[string]any{"email": "bob@example.com", "email_verified": false})
	page, _ = e.login(newBrowser(t), "bob", "/inbox")
	wantStatus(t, page, http.StatusForbidden) // require email_verified is_true
}

func TestOIDCLoginReplacesTheBrowsersSessionAndHonoursCallbackPath(t *testing.T) {
	e := startOIDC(t, oidctest.Options{}, "callback_url http://127.0.0.1:{PORT}/auth/cb")
	e.p.AllowRedirect(e.g.base + "/auth/cb")
	b := e.loggedIn(t, "alice")
	old := b.cookie(e.g.base, sessionCookieName)

	_, cb := b.navigate(e.g.base+"/.authgate/login?redirect_uri=/again", atCustomCallback)
	if !strings.HasPrefix(cb, e.g.base+"/auth/cb?") {
		t.Fatalf("callback went to %s", cb)
	}
	if _, at := b.navigate(cb, nil); at != e.g.base+"/again" {
		t.Fatalf("second login ended at %s", at)
	}
	if fresh := b.cookie(e.g.base, sessionCookieName); fresh == "" || fresh == old {
		t.Fatal("a new login must mint a new session token")
	}
	r := send(t, e.g.base, "GET", "/api/me", "", "Cookie: "+sessionCookieName+"="+old)
	wantReason(t, r, http.StatusUnauthorized, "session_revoked")
}

func atCustomCallback(u *url.URL) bool { return u.Path == "/auth/cb" }

func TestOIDCIDTokenMustBeFreshAsForExchanges(t *testing.T) {
	// iat has whole seconds, so with exchange_max_age 1ns every ID token
	// is too old.
	e := startOIDC(t, oidctest.Options{}, "", "exchange_max_age 1ns")
	page, _ := e.login(newBrowser(t), "alice", "/home")
	wantLoginFailure(t, page, http.StatusUnauthorized, reasonInvalidIDToken)
}
