package caddymodule

import (
	"bufio"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Unverified credentials forwarded upstream (issue 11, item 5): a second
// Authorization header, a Bearer value that is not exactly "Bearer SP
// token", a duplicated credential cookie, and a credential next to the one
// the gateway accepted must never reach the app.

const duplicatesSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			{SESSION}
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
	handle /login/* {
		authgate {
			login_url https://login.example.com/
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

func startDuplicatesGateway(t *testing.T, sessionOptions string) *gateway {
	t.Helper()
	up := echoUpstream(t)
	site := strings.ReplaceAll(duplicatesSite, "{UPSTREAM}", up.URL)
	return startGateway(t, strings.ReplaceAll(site, "{SESSION}", sessionOptions))
}

// algNoneAdmin is an unsigned token claiming to be an admin.
func algNoneAdmin() string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		enc([]byte(`{"iss":"authgate-dev","sub":"admin","roles":["admin"],"exp":4102444800}`)) + "."
}

// rawGet sends GET path over a raw socket with the header lines exactly as
// given (duplicates, tabs and empty values included).
func (g *gateway) rawGet(path string, headers ...string) response {
	g.t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(g.base, "http://"), 5*time.Second)
	if err != nil {
		g.t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n" +
		strings.Join(headers, "\r\n") + "\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		g.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		g.t.Fatalf("reading response: %v", err)
	}
	return readResponse(g.t, resp)
}

// wantNothingUnverified fails when the upstream saw the forged credential.
func wantNothingUnverified(t *testing.T, r response, forged string) {
	t.Helper()
	for name, values := range r.upstream {
		for _, v := range values {
			if strings.Contains(v, forged) {
				t.Errorf("unverified credential reached the upstream: %s: %s", name, v)
			}
		}
	}
}

func TestSecondAuthorizationHeaderIsRefused(t *testing.T) {
	g := startDuplicatesGateway(t, "")
	valid, forged := "Authorization: Bearer "+g.mint("alice"), "Authorization: Bearer "+algNoneAdmin()
	cases := []struct {
		name    string
		path    string
		headers []string
	}{
		{"a valid token then an alg:none admin token", "/", []string{valid, forged}},
		{"an alg:none admin token then a valid token", "/", []string{forged, valid}},
		{"an empty header then a forged token on an optional route", "/optional/x", []string{"Authorization:", forged}},
		{"a valid token then a Basic header", "/", []string{valid, "Authorization: Basic dXNlcjpwYXNz"}},
		{"Bearer TAB token on an optional route", "/optional/x", []string{"Authorization: Bearer\t" + algNoneAdmin()}},
		{"Bearer and two spaces on an optional route", "/optional/x", []string{"Authorization: Bearer  " + algNoneAdmin()}},
		{"an empty value on an optional route", "/optional/x", []string{"Authorization:"}},
		{"a list of two tokens", "/", []string{"Authorization: Bearer " + g.mint("alice") + ", Bearer " + algNoneAdmin()}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := g.rawGet(tc.path, tc.headers...)
			wantReason(t, r, http.StatusUnauthorized, "malformed")
		})
	}
	t.Run("another scheme on an optional route passes untouched", func(t *testing.T) {
		r := g.rawGet("/optional/x", "Authorization: Basic dXNlcjpwYXNz")
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("Authorization"); got != "Basic dXNlcjpwYXNz" {
			t.Errorf("Authorization = %q, want the Basic credential as sent", got)
		}
	})
}

func TestUnacceptedCredentialsAreStripped(t *testing.T) {
	g := startDuplicatesGateway(t, "")
	forgedCookie := "Cookie: theme=dark; " + sessionCookieName + "=forged-session-value"
	t.Run("a forged session cookie next to a valid Bearer token", func(t *testing.T) {
		r := g.rawGet("/", "Authorization: Bearer "+g.mint("alice"), forgedCookie)
		wantStatus(t, r, http.StatusOK)
		wantNothingUnverified(t, r, "forged-session-value")
		if got := r.upstream.Get("Cookie"); got != "theme=dark" {
			t.Errorf("Cookie = %q, want the app's own cookie only", got)
		}
	})
	t.Run("an empty session cookie on an optional route", func(t *testing.T) {
		r := g.rawGet("/optional/x", "Cookie: "+sessionCookieName+"=; theme=dark")
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("Cookie"); got != "theme=dark" {
			t.Errorf("Cookie = %q, want the app's own cookie only", got)
		}
	})
	// The session cookie is the gateway's own credential: even accepted,
	// it never reaches the app, with or without strip_credentials.
	t.Run("the accepted session cookie never reaches the app", func(t *testing.T) {
		c := sesCookie(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint("alice")))
		r := g.rawGet("/", "Cookie: theme=dark; "+c.Name+"="+c.Value)
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("Cookie"); got != "theme=dark" || r.upstream.Get("X-Auth-User-Id") != "alice" {
			t.Errorf("Cookie = %q, want the app's own cookie only", got)
		}
	})
}

func TestDuplicatedHostCookieIsMalformed(t *testing.T) {
	g := startDuplicatesGateway(t, "")
	c := sesCookie(t, send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint("alice")))
	pair := c.Name + "=" + c.Value
	for _, tc := range []struct{ name, path string }{{"an API client", "/"}, {"a browser navigation with a login", "/login/x"}} {
		t.Run(tc.name, func(t *testing.T) {
			r := g.rawGet(tc.path, "Cookie: "+pair, "Cookie: "+c.Name+"=forged", "Accept: text/html", "Sec-Fetch-Mode: navigate")
			wantReason(t, r, http.StatusUnauthorized, "malformed")
			r = g.rawGet(tc.path, "Cookie: "+c.Name+"=forged; "+pair, "Accept: text/html")
			wantReason(t, r, http.StatusUnauthorized, "malformed")
		})
	}
}

func TestDuplicatedPlainCookieSendsBrowsersToLogin(t *testing.T) {
	g := startDuplicatesGateway(t, "insecure_cookie\n\t\t\tcookie app_session")
	r := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+g.mint("alice"))
	wantStatus(t, r, http.StatusCreated)
	tok := ""
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "app_session" {
			tok = c.Value
		}
	}
	if tok == "" {
		t.Fatalf("no app_session cookie set: %v", r.header)
	}
	cookies := "Cookie: app_session=" + tok + "; app_session=forged"
	browser := []string{cookies, "Accept: text/html", "Sec-Fetch-Mode: navigate"}

	t.Run("an API client gets 401 malformed", func(t *testing.T) {
		wantReason(t, g.rawGet("/login/x", cookies, "Accept: application/json"), http.StatusUnauthorized, "malformed")
	})
	t.Run("a browser navigation is sent to log in with the cookie expired", func(t *testing.T) {
		r := g.rawGet("/login/x", browser...)
		wantStatus(t, r, http.StatusFound)
		if loc := r.header.Get("Location"); !strings.HasPrefix(loc, "https://login.example.com/") {
			t.Errorf("Location = %q, want the login page", loc)
		}
		wantExpired(t, r, "app_session")
	})
	t.Run("a browser navigation without a login gets 401 and the cookie expired", func(t *testing.T) {
		r := g.rawGet("/", browser...)
		wantReason(t, r, http.StatusUnauthorized, "malformed")
		wantExpired(t, r, "app_session")
	})
	t.Run("the single cookie still works", func(t *testing.T) {
		wantStatus(t, g.rawGet("/", "Cookie: app_session="+tok), http.StatusOK)
	})
}

func wantExpired(t *testing.T, r response, name string) {
	t.Helper()
	for _, line := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(line, name+"=;") && strings.Contains(line, "Max-Age=0") && strings.Contains(line, "Path=/") {
			return
		}
	}
	t.Errorf("no Set-Cookie expiring %s: %q", name, r.header.Values("Set-Cookie"))
}
