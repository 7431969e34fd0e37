package caddymodule

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/authgate/authgate/session"
)

// Adversarial tests of session tokens as Bearer credentials: where a
// session token (live, tampered, revoked or another gateway's) may travel
// besides the gateway's own session verifier. The secret of a session
// token is the part after its prefix; it must never reach an
// introspection service, the upstream (any header, any spelling, any
// trailer), a log line or an error body.

const bearerAttackSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	servers {
		protocols h1 h2c
	}
	{LOG}
	authgate {
		dev
		introspect oauth {
			url {AS}/introspect
			mode rfc7662
			client_id gateway
			client_secret s3cret
			from header Authorization Bearer
			same_subjects dev apikey
		}
		introspect apikey {
			url {AS}/apikey
			token_field key
			subject_path sub
			inactive_status 401 404
			from header X-Api-Key
			same_subjects dev oauth
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange dev
			bearer on
		}
		header X-Auth-User-Id {sub}
	}
}
http://127.0.0.1:{PORT} {
	log {
		output file {ACCESS} {
			roll_disabled
		}
		# X-Api-Key is a credential header Caddy does not redact: filtered
		# as docs/security.md says.
		format filter {
			wrap json
			request>headers>X-Api-Key delete
		}
	}
	handle /apikey/* {
		authgate {
			verifiers apikey session
		}
		reverse_proxy {UPSTREAM}
	}
	handle /optional/* {
		authgate {
			optional
			verifiers session
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// leakWatch is a gateway with sessions as Bearer, two introspection
// endpoints and an upstream that each keep every request they got
// (headers, trailers and body, as text), and the gateway's logs.
type leakWatch struct {
	g      *gateway
	admin  string
	log    *caddyLog
	access string

	mu       sync.Mutex
	services []string // every request the introspection endpoints got
	upstream []string // every request the app got
}

// dumpRequest renders everything a request carries, trailers included
// (read after the body).
func dumpRequest(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	return fmt.Sprintf("%s %s\n%v\n%s\n%v", r.Method, r.URL, r.Header, body, r.Trailer)
}

func startLeakWatch(t *testing.T) *leakWatch {
	t.Helper()
	f := &leakWatch{log: newCaddyLog(t), access: filepath.Join(t.TempDir(), "access.log")}
	as := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump := dumpRequest(r)
		f.mu.Lock()
		f.services = append(f.services, dump)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case strings.Contains(dump, "at-alice-opaque"):
			fmt.Fprint(w, `{"active":true,"sub":"alice"}`)
		case strings.Contains(dump, "key-of-alice"):
			fmt.Fprint(w, `{"sub":"alice"}`)
		case r.URL.Path == "/apikey":
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{}`)
		default:
			fmt.Fprint(w, `{"active":false}`)
		}
	}))
	t.Cleanup(as.Close)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		dump := dumpRequest(r)
		f.mu.Lock()
		f.upstream = append(f.upstream, dump)
		f.mu.Unlock()
		w.Header().Set("X-Echo", "1")
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.Header)
	}))
	t.Cleanup(up.Close)
	admin := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	site := strings.NewReplacer("{ADMIN}", admin, "{AS}", as.URL, "{UPSTREAM}", up.URL,
		"{LOG}", f.log.option(), "{ACCESS}", f.access).Replace(bearerAttackSite)
	f.g, f.admin = startGateway(t, site), "http://"+admin
	return f
}

// token exchanges a fresh dev token of sub for a session token in the
// answer's body.
func (f *leakWatch) token(sub string) (tok, id string) {
	f.g.t.Helper()
	r := send(f.g.t, f.g.base, "POST", "/.authgate/session", `{"return":"token"}`, "Authorization: Bearer "+f.g.mint(sub), jsonCT)
	wantStatus(f.g.t, r, http.StatusCreated)
	var body struct {
		Token string `json:"session_token"`
		ID    string `json:"session_id"`
	}
	if err := json.Unmarshal([]byte(r.body), &body); err != nil || !session.HasTokenPrefix(body.Token) {
		f.g.t.Fatalf("exchange answer %s", r.body)
	}
	return body.Token, body.ID
}

// secretOf is the part of a session token that makes it a credential.
func secretOf(tok string) string { return strings.TrimPrefix(tok, session.TokenPrefix) }

// wantNowhere fails when a secret reached an introspection endpoint, the
// app, a log line or the access log.
func (f *leakWatch) wantNowhere(t *testing.T, secrets ...string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	logs := f.log.text()
	access, _ := readFileString(f.access)
	for _, s := range secrets {
		for _, d := range f.services {
			if strings.Contains(d, s) {
				t.Errorf("a session token reached an introspection endpoint:\n%s", d)
			}
		}
		for _, d := range f.upstream {
			if strings.Contains(d, s) {
				t.Errorf("a session token reached the app:\n%s", d)
			}
		}
		for _, line := range strings.Split(logs+"\n"+access, "\n") {
			if strings.Contains(line, s) {
				t.Errorf("a session token was logged: %s", line)
			}
		}
	}
}

func TestAttackSessionBearerTravelsNowhere(t *testing.T) {
	f := startLeakWatch(t)
	tok, id := f.token("alice")
	revoked, revokedID := f.token("bob")
	wantStatus(t, send(t, f.admin, "DELETE", "/authgate/sessions/"+revokedID, "", jsonCT), http.StatusNoContent)
	tampered := tok[:len(tok)-2] + "zz"
	if tampered == tok {
		tampered = tok[:len(tok)-2] + "yy"
	}
	other, _ := session.NewToken()
	jwt := f.g.mint("carol")

	// A session token in the API key header, with or without a scheme in
	// front of it, is the gateway's, never the API key service's.
	for _, tc := range []struct{ name, value string }{
		{"bare", tok},
		{"after a scheme", "Bearer " + tok},
		{"after another scheme", "Session " + tok},
		{"after spaces and a scheme", "  bearer\t" + tok},
		{"tampered, after a scheme", "Bearer " + tampered},
		{"revoked, after a scheme", "Bearer " + revoked},
	} {
		t.Run("X-Api-Key: "+tc.name, func(t *testing.T) {
			r := f.g.rawGet("/apikey/x", "X-Api-Key: "+tc.value)
			if r.status == http.StatusOK {
				t.Fatalf("a session token in X-Api-Key authenticated as %q", r.upstream.Get("X-Auth-User-Id"))
			}
		})
	}
	wantStatus(t, f.g.do("GET", "/apikey/x", "X-Api-Key: key-of-alice"), http.StatusOK)

	// Every refused spelling is 401 and reaches neither service nor app.
	for _, tc := range []struct {
		name    string
		path    string
		headers []string
		reason  string
	}{
		{"tampered", "/", []string{"Authorization: Bearer " + tampered}, "session_revoked"},
		{"revoked", "/", []string{"Authorization: Bearer " + revoked}, "session_revoked"},
		{"another gateway's", "/", []string{"Authorization: Bearer " + other}, "session_revoked"},
		{"revoked, lower-case header and scheme", "/", []string{"authorization: bearer " + revoked}, "session_revoked"},
		{"revoked on an optional route", "/optional/x", []string{"Authorization: Bearer " + revoked}, "session_revoked"},
		{"revoked, then a JWT in a second header", "/", []string{"Authorization: Bearer " + revoked, "Authorization: Bearer " + jwt}, "malformed"},
		{"a JWT, then the live token in a second header", "/", []string{"Authorization: Bearer " + jwt, "authorization: Bearer " + tok}, "malformed"},
		{"the live token and a JWT in one header", "/", []string{"Authorization: Bearer " + tok + ", Bearer " + jwt}, "malformed"},
		{"the live token as a cookie too", "/", []string{"Authorization: Bearer " + tok, "Cookie: " + sessionCookieName + "=" + tampered}, "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.g.rawGet(tc.path, tc.headers...)
			wantReason(t, r, http.StatusUnauthorized, tc.reason)
			if r.upstream != nil {
				t.Fatalf("refused, yet the app got %v", r.upstream)
			}
			for _, s := range []string{secretOf(tok), secretOf(revoked), secretOf(tampered)} {
				if strings.Contains(r.body, s) || strings.Contains(fmt.Sprint(r.header), s) {
					t.Fatalf("the refusal shows a session token: %v %s", r.header, r.body)
				}
			}
		})
	}

	// Accepted requests: the app gets the identity, never the token, in
	// whatever spelling or extra header the client added.
	for _, tc := range []struct {
		name    string
		headers []string
	}{
		{"the scheme in capitals", []string{"Authorization: BEARER " + tok}},
		{"the header in lower case", []string{"authorization: Bearer " + tok}},
		{"the cookie of a revoked session next to a JWT", []string{"Authorization: Bearer " + jwt, "Cookie: a=1; " + sessionCookieName + "=" + revoked + "; b=2"}},
		{"two Cookie headers with the session cookie in the second", []string{"Authorization: Bearer " + jwt, "Cookie: a=1", "Cookie: " + sessionCookieName + "=" + tok}},
		{"the live token as the cookie and a Basic header", []string{"Cookie: " + sessionCookieName + "=" + tok, "Authorization: Basic dXNlcjpwYXNz"}},
		{"the token nominated hop-by-hop", []string{"Authorization: Bearer " + tok, "Connection: keep-alive"}},
	} {
		t.Run("accepted, "+tc.name, func(t *testing.T) {
			r := f.g.rawGet("/", tc.headers...)
			wantStatus(t, r, http.StatusOK)
		})
	}

	// Trailers: the session credentials sent after the body, next to an
	// accepted credential, never reach the app.
	for _, tc := range []struct {
		name     string
		headers  []string
		trailers []string
	}{
		{"a session bearer trailer", []string{"Authorization: Bearer " + jwt, "Trailer: Authorization"}, []string{"Authorization: Bearer " + tok}},
		{"a session cookie trailer", []string{"Authorization: Bearer " + jwt, "Trailer: Cookie"}, []string{"Cookie: " + sessionCookieName + "=" + tok}},
		{"a lower-case trailer behind the bearer session", []string{"Authorization: Bearer " + tok, "Trailer: authorization"}, []string{"authorization: Bearer " + revoked}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _ := f.g.rawChunkedPath("/", tc.headers, tc.trailers)
			if status != http.StatusOK && status != http.StatusBadRequest {
				t.Fatalf("status %d", status)
			}
		})
	}

	// The who-am-I answer, the admin API and the logout never show it.
	r := f.g.do("GET", "/.authgate/session", "Authorization: Bearer "+tok)
	wantStatus(t, r, http.StatusOK)
	a := send(t, f.admin, "GET", "/authgate/sessions/"+id, "", jsonCT)
	wantStatus(t, a, http.StatusOK)
	for _, body := range []string{r.body, a.body} {
		if strings.Contains(body, secretOf(tok)) {
			t.Fatalf("an answer shows the session token: %s", body)
		}
	}
	wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", "", "Authorization: Bearer "+tok), http.StatusNoContent)
	wantReason(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusUnauthorized, "session_revoked")
	f.wantNowhere(t, secretOf(tok), secretOf(revoked), secretOf(tampered), secretOf(other))
}

// TestAttackSessionBearerOfAnotherGateway: a session token minted by one
// gateway is an unknown session to a gateway with another store, refused
// as session_revoked without a call to the introspection endpoint that
// reads the same header.
func TestAttackSessionBearerOfAnotherGateway(t *testing.T) {
	first := startLeakWatch(t)
	tok, _ := first.token("alice")
	second := startLeakWatch(t) // replaces the first config: a fresh store
	for _, h := range []string{"Authorization: Bearer " + tok, "X-Api-Key: " + tok, "X-Api-Key: Bearer " + tok} {
		r := second.g.rawGet("/apikey/x", h)
		if r.status == http.StatusOK {
			t.Fatalf("%s: the other gateway's token authenticated", h)
		}
	}
	wantReason(t, second.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusUnauthorized, "session_revoked")
	second.wantNowhere(t, secretOf(tok))
}

// readFileString returns a file's text; "" when it does not exist yet.
func readFileString(path string) (string, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return "", nil
	}
	return string(b), err
}

// TestAttackSessionBearerOnTheGatewaysOwnEndpoints: who-am-I and the
// check endpoint refuse a cookie and a bearer session together (they
// could be two users), and a tampered or revoked bearer token there, as
// routes do; a logout carrying both ends both.
func TestAttackSessionBearerOnTheGatewaysOwnEndpoints(t *testing.T) {
	f := startLeakWatch(t)
	alice, _ := f.token("alice")
	r := send(t, f.g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+f.g.mint("bob"))
	wantStatus(t, r, http.StatusCreated)
	bobCookie := cookieOf(t, r)
	tampered := alice[:len(alice)-2] + "zz"
	if tampered == alice {
		tampered = alice[:len(alice)-2] + "yy"
	}
	for _, path := range []string{"/.authgate/session", "/.authgate/check?permission=docs:read"} {
		t.Run(path, func(t *testing.T) {
			wantReason(t, f.g.do("GET", path, "Authorization: Bearer "+alice, bobCookie), http.StatusUnauthorized, "malformed")
			wantReason(t, f.g.do("GET", path, "Authorization: Bearer "+tampered), http.StatusUnauthorized, "session_revoked")
			wantStatus(t, f.g.do("GET", path, "Authorization: Bearer "+alice), http.StatusOK)
		})
	}
	wantStatus(t, send(t, f.g.base, "POST", "/.authgate/logout", "", "Authorization: Bearer "+alice, bobCookie), http.StatusNoContent)
	wantReason(t, f.g.do("GET", "/", "Authorization: Bearer "+alice), http.StatusUnauthorized, "session_revoked")
	wantReason(t, f.g.do("GET", "/", bobCookie), http.StatusUnauthorized, "session_revoked")
	f.wantNowhere(t, secretOf(alice), secretOf(tampered))
}

// TestAttackSessionTokenBadlyFramedNeverReachesTheApp: a client that sends
// its session token in Authorization without the Bearer scheme, under
// another scheme or after another credential is not authenticated by it;
// on an optional route the request goes on (or is refused as malformed),
// without the token.
func TestAttackSessionTokenBadlyFramedNeverReachesTheApp(t *testing.T) {
	f := startLeakWatch(t)
	tok, _ := f.token("alice")
	for _, h := range []string{
		"Authorization: " + tok,
		"Authorization: Token " + tok,
		`Authorization: Session token="` + tok + `"`,
		"Authorization: Basic dXNlcjpwYXNz, Bearer " + tok,
		"authorization: Bearer," + tok,
	} {
		t.Run(h, func(t *testing.T) {
			r := f.g.rawGet("/optional/x", h)
			if r.status == http.StatusUnauthorized && r.upstream == nil {
				return // refused as malformed: fine too
			}
			wantStatus(t, r, http.StatusOK)
			if r.upstream.Get("X-Auth-User-Id") != "" {
				t.Fatalf("authenticated as %q", r.upstream.Get("X-Auth-User-Id"))
			}
		})
	}
	// Another credential in Authorization still reaches an optional
	// route's app untouched.
	r := f.g.rawGet("/optional/x", "Authorization: Basic dXNlcjpwYXNz")
	if r.upstream.Get("Authorization") != "Basic dXNlcjpwYXNz" {
		t.Fatalf("upstream Authorization %q", r.upstream.Get("Authorization"))
	}
	f.wantNowhere(t, secretOf(tok))
}
