package caddymodule

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// sessionsSite puts three session services in front of the echo upstream:
// a Stytch-like API (opaque session cookies, and re-checks of the session
// JWTs a local-first jwt block trusts for max_age), a Kratos-like whoami
// endpoint and an RFC 7662 authorization server.
const sessionsSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		jwt stytch {
			issuer stytch.com/project-test
			jwks_url {JWKS}
			audience project-test
			max_age 5m
			recheck stytch_jwt
			recheck_expired
			from cookie stytch_session_jwt
			subject_template stytch:{sub}
			same_subjects stytch_sessions
		}
		introspect stytch_jwt {
			url {STYTCH}/v1/sessions/authenticate
			token_field session_jwt
			inactive_status 401 404
			subject_path session.user_id
			claims_path session.custom_claims
			expires_path session.expires_at
			client_id project-test
			client_secret {env.AUTHGATE_TEST_STYTCH_SECRET}
			cache_ttl 1s
		}
		introspect stytch_sessions {
			url {STYTCH}/v1/sessions/authenticate
			token_field session_token
			inactive_status 401 404
			from cookie stytch_session
			from cookie stytch_session_jwt
			subject_template stytch:{sub}
			same_subjects stytch
			subject_path session.user_id
			claims_path session.custom_claims
			expires_path session.expires_at
			client_id project-test
			client_secret {env.AUTHGATE_TEST_STYTCH_SECRET}
			negative_cache_ttl 30s
			timeout 300ms
		}
		introspect kratos {
			url {KRATOS}/sessions/whoami
			method GET
			forward cookie ory_kratos_session
			from cookie ory_kratos_session
			subject_path identity.id
			subject_template kratos:{sub}
			claims_path identity.traits
			expires_path expires_at
		}
		introspect oauth {
			url {AS}/oauth2/introspect
			mode rfc7662
			client_id gateway
			client_secret {file.{SECRET_FILE}}
			from header Authorization Bearer
			subject_template as:{sub}
			timeout 300ms
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// sessionsFixture is a gateway in front of the fake session services.
type sessionsFixture struct {
	g                     *gateway
	jwks                  *verifiertest.Server
	stytch, kratos, oauth *fakeService
}

func startSessionsGateway(t *testing.T) *sessionsFixture {
	t.Helper()
	f := &sessionsFixture{jwks: verifiertest.NewServer()}
	t.Cleanup(f.jwks.Close)
	f.stytch = newFakeService(t, stytchAPI)
	f.kratos = newFakeService(t, kratosWhoami)
	f.oauth = newFakeService(t, oauthIntrospect)
	secretFile := filepath.Join(t.TempDir(), "introspect.secret")
	if err := os.WriteFile(secretFile, []byte("file-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AUTHGATE_TEST_STYTCH_SECRET", "env-secret")
	cf := strings.NewReplacer("{JWKS}", f.jwks.URL, "{STYTCH}", f.stytch.URL, "{KRATOS}", f.kratos.URL,
		"{AS}", f.oauth.URL, "{SECRET_FILE}", secretFile, "{UPSTREAM}", echoUpstream(t).URL).Replace(sessionsSite)
	f.g = startGateway(t, cf)
	return f
}

// fakeService is a session service written in the test: it counts calls
// per token and records when each call came.
type fakeService struct {
	*httptest.Server
	calls   atomic.Int64
	mu      sync.Mutex
	byToken map[string][]time.Time
	release chan struct{} // closed to let "block" tokens answer
}

func newFakeService(t *testing.T, answer func(f *fakeService, w http.ResponseWriter, r *http.Request)) *fakeService {
	t.Helper()
	f := &fakeService{byToken: map[string][]time.Time{}, release: make(chan struct{})}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { answer(f, w, r) }))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeService) record(token string) {
	f.calls.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byToken[token] = append(f.byToken[token], time.Now())
}

// callsFor returns the times token was sent to the service.
func (f *fakeService) callsFor(token string) []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.byToken[token]...)
}

func answerJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

// stytchAPI answers POST /v1/sessions/authenticate like Stytch: basic auth
// with the project's secret, a session_token or a session_jwt, 404 for an
// unknown session. Session JWTs are answered for the sub they carry (the
// fake does not verify them: the gateway already has), except that
// "revoked" has no session left and "imposter" belongs to someone else.
func stytchAPI(f *fakeService, w http.ResponseWriter, r *http.Request) {
	var body struct {
		SessionToken string `json:"session_token"`
		SessionJWT   string `json:"session_jwt"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	token := body.SessionToken + body.SessionJWT
	f.record(token)
	if u, p, ok := r.BasicAuth(); !ok || u != "project-test" || p != "env-secret" {
		answerJSON(w, http.StatusUnauthorized, map[string]any{"error_type": "unauthorized_credentials"})
		return
	}
	user := map[string]string{"sess-alice": "user-alice", "sess-bob": "user-bob", "sess-crowd": "user-crowd"}[token]
	switch {
	case token == "sess-slow":
		<-r.Context().Done()
		return
	case token == "sess-boom":
		w.Header().Set("Retry-After", "3")
		answerJSON(w, http.StatusInternalServerError, nil)
		return
	case token == "sess-crowd":
		<-f.release
	case body.SessionJWT != "":
		user = jwtSubject(body.SessionJWT)
	}
	switch user {
	case "", "revoked":
		answerJSON(w, http.StatusNotFound, map[string]any{"error_type": "session_not_found"})
		return
	case "imposter":
		user = "someone-else"
	}
	answerJSON(w, http.StatusOK, map[string]any{"session": map[string]any{
		"user_id": user, "expires_at": time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		"custom_claims": map[string]any{"email": user + "@example.com"},
	}})
}

// jwtSubject reads a JWT's sub without verifying it.
func jwtSubject(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var c struct{ Sub string }
	_ = json.Unmarshal(raw, &c)
	return c.Sub
}

// kratosWhoami answers GET /sessions/whoami like Ory Kratos: the session
// cookie in, the session with its identity out, or 401.
func kratosWhoami(f *fakeService, w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie("ory_kratos_session")
	token := ""
	if err == nil {
		token = c.Value
	}
	f.record(token)
	if r.Method != http.MethodGet || token != "kratos-alice" {
		answerJSON(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "status": "Unauthorized"}})
		return
	}
	answerJSON(w, http.StatusOK, map[string]any{"id": "s-1", "active": true, "expires_at": time.Now().Add(time.Hour).Format(time.RFC3339),
		"identity": map[string]any{"id": "k-alice", "traits": map[string]any{"email": "alice@kratos.example"}}})
}

// oauthIntrospect is an RFC 7662 endpoint with client authentication.
func oauthIntrospect(f *fakeService, w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	token := r.PostForm.Get("token")
	f.record(token)
	if u, p, ok := r.BasicAuth(); !ok || u != "gateway" || p != "file-secret" {
		answerJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
		return
	}
	switch token {
	case "at-alice":
		answerJSON(w, 200, map[string]any{"active": true, "sub": "alice", "scope": "read", "email": "alice@as.example",
			"exp": time.Now().Add(time.Hour).Unix()})
	case "at-machine":
		answerJSON(w, 200, map[string]any{"active": true, "client_id": "batch-job"})
	case "at-slow-token":
		<-r.Context().Done()
	default:
		answerJSON(w, 200, map[string]any{"active": false})
	}
}

func TestOpaqueSessionsThroughCaddy(t *testing.T) {
	f := startSessionsGateway(t)
	cases := []struct {
		name, header, wantUser, wantEmail, wantReason string
	}{
		{"a Stytch session cookie", "Cookie: stytch_session=sess-alice", "stytch:user-alice", "user-alice@example.com", ""},
		{"an opaque token in the cookie the jwt block reads", "Cookie: stytch_session_jwt=sess-bob", "stytch:user-bob", "user-bob@example.com", ""},
		{"an unknown Stytch session (404)", "Cookie: stytch_session=sess-nobody", "", "", "inactive"},
		{"a Kratos session cookie forwarded to whoami", "Cookie: ory_kratos_session=kratos-alice", "kratos:k-alice", "alice@kratos.example", ""},
		{"an unknown Kratos session (401)", "Cookie: ory_kratos_session=kratos-nobody", "", "", "inactive"},
		{"an active RFC 7662 token", "Authorization: Bearer at-alice", "as:alice", "alice@as.example", ""},
		{"an inactive RFC 7662 token", "Authorization: Bearer at-revoked", "", "", "inactive"},
		{"an active RFC 7662 token without a subject", "Authorization: Bearer at-machine", "", "", "inactive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.g.do("GET", "/", tc.header)
			if tc.wantReason != "" {
				wantReason(t, r, http.StatusUnauthorized, tc.wantReason)
				if !strings.Contains(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
					t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
				}
				return
			}
			wantStatus(t, r, http.StatusOK)
			if r.upstream.Get("X-Auth-User-Id") != tc.wantUser || r.upstream.Get("X-Auth-Email") != tc.wantEmail {
				t.Errorf("upstream saw user %q email %q, want %q %q", r.upstream.Get("X-Auth-User-Id"), r.upstream.Get("X-Auth-Email"), tc.wantUser, tc.wantEmail)
			}
		})
	}
}

func TestIntrospectionAnswersAreCachedThroughCaddy(t *testing.T) {
	f := startSessionsGateway(t)
	for range 10 {
		wantStatus(t, f.g.do("GET", "/", "Cookie: stytch_session=sess-alice"), http.StatusOK)
		wantReason(t, f.g.do("GET", "/", "Cookie: stytch_session=sess-gone"), http.StatusUnauthorized, "inactive")
		wantStatus(t, f.g.do("GET", "/", "Cookie: ory_kratos_session=kratos-alice"), http.StatusOK)
	}
	for _, c := range []struct {
		svc   *fakeService
		token string
		want  int
	}{{f.stytch, "sess-alice", 1}, {f.stytch, "sess-gone", 1}, {f.kratos, "kratos-alice", 1}} {
		if got := len(c.svc.callsFor(c.token)); got != c.want {
			t.Errorf("10 requests with %s made %d calls, want %d", c.token, got, c.want)
		}
	}
}

func TestConcurrentRequestsShareOneIntrospection(t *testing.T) {
	f := startSessionsGateway(t)
	const n = 50
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			req, _ := http.NewRequest("GET", f.g.base+"/", nil)
			req.Header.Set("Cookie", "stytch_session=sess-crowd")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				statuses <- 0
				return
			}
			resp.Body.Close()
			statuses <- resp.StatusCode
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.stytch.calls.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let the other requests join the flight
	close(f.stytch.release)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != http.StatusOK {
			t.Fatalf("a request got %d", s)
		}
	}
	if got := len(f.stytch.callsFor("sess-crowd")); got != 1 {
		t.Fatalf("%d concurrent requests made %d calls, want 1", n, got)
	}
	t.Logf("%d concurrent requests with one new session token: %d remote call", n, len(f.stytch.callsFor("sess-crowd")))
}

func TestSessionServiceTroubleIs503NeverAPass(t *testing.T) {
	f := startSessionsGateway(t)
	cases := []struct {
		name, header, retryAfter string
	}{
		{"a session service slower than the timeout", "Cookie: stytch_session=sess-slow", "5"},
		{"a session service answering 500 with Retry-After", "Cookie: stytch_session=sess-boom", "3"},
		{"an authorization server slower than the timeout", "Authorization: Bearer at-slow-token", "5"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := f.g.do("GET", "/", tc.header)
			wantReason(t, r, http.StatusServiceUnavailable, "introspection_unavailable")
			if r.header.Get("Retry-After") != tc.retryAfter || r.upstream != nil {
				t.Errorf("Retry-After %q (want %q), upstream reached: %v", r.header.Get("Retry-After"), tc.retryAfter, r.upstream != nil)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v with a 300ms timeout", d)
			}
		})
	}
	t.Run("a session service that is down", func(t *testing.T) {
		f.kratos.Close()
		wantReason(t, f.g.do("GET", "/", "Cookie: ory_kratos_session=kratos-alice"), http.StatusServiceUnavailable, "introspection_unavailable")
	})
}

func TestCredentialsThatCannotBeTokensAreRefusedWithoutACall(t *testing.T) {
	f := startSessionsGateway(t)
	cases := []struct{ name, header, reason string }{
		{"a bearer token with non-ASCII bytes", "Authorization: Bearer t\xc3\xb6k", "malformed"},
		{"a bearer token over the size cap", "Authorization: Bearer " + strings.Repeat("a", 9000), "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantReason(t, f.g.do("GET", "/", tc.header), http.StatusUnauthorized, tc.reason)
		})
	}
	if n := f.oauth.calls.Load(); n != 0 {
		t.Fatalf("%d calls to the authorization server, want 0", n)
	}
}

// TestLocalFirstJWTsThroughCaddy counts the session service's calls for
// Stytch-style session JWTs: none while a token is younger than max_age,
// one per cache period (cache_ttl 1s) once it is older.
func TestLocalFirstJWTsThroughCaddy(t *testing.T) {
	f := startSessionsGateway(t)
	key := f.jwks.Key("ES256")
	mint := func(sub string, age, life time.Duration) string {
		iat := time.Now().Add(-age)
		return key.Mint(map[string]any{"iss": "stytch.com/project-test", "aud": "project-test", "sub": sub,
			"iat": iat.Unix(), "exp": iat.Add(life).Unix(), "email": sub + "@jwt.example"})
	}
	fresh, old := mint("user-fresh", time.Minute, time.Hour), mint("user-old", 10*time.Minute, time.Hour)
	for range 20 {
		wantStatus(t, f.g.do("GET", "/", "Cookie: stytch_session_jwt="+fresh), http.StatusOK)
		wantStatus(t, f.g.do("GET", "/", "Cookie: stytch_session_jwt="+old), http.StatusOK)
	}
	freshCalls, oldCalls := len(f.stytch.callsFor(fresh)), len(f.stytch.callsFor(old))
	if freshCalls != 0 || oldCalls != 1 {
		t.Fatalf("20 requests each: %d calls for the fresh token (want 0), %d for the old one (want 1)", freshCalls, oldCalls)
	}
	// Keep asking until the cache period is over and the second call comes.
	deadline := time.Now().Add(5 * time.Second)
	requests := 20
	for len(f.stytch.callsFor(old)) < 2 && time.Now().Before(deadline) {
		wantStatus(t, f.g.do("GET", "/", "Cookie: stytch_session_jwt="+old), http.StatusOK)
		requests++
		time.Sleep(50 * time.Millisecond)
	}
	calls := f.stytch.callsFor(old)
	if len(calls) != 2 || calls[1].Sub(calls[0]) < time.Second {
		t.Fatalf("calls for the old token at %v, want exactly a second one a cache period (1s) after the first", calls)
	}
	t.Logf("local-first through Caddy: fresh token %d calls in 20 requests; old token %d call in 20 requests, 2 calls in %d requests over %v",
		freshCalls, oldCalls, requests, calls[1].Sub(calls[0]).Round(10*time.Millisecond))

	cases := []struct{ name, token, reason string }{
		{"an expired token is re-checked (recheck_expired)", mint("user-expired", 2*time.Hour, time.Hour), ""},
		{"an old token whose session was revoked", mint("revoked", 10*time.Minute, time.Hour), "inactive"},
		{"an old token the service attributes to someone else", mint("imposter", 10*time.Minute, time.Hour), "inactive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.g.do("GET", "/", "Cookie: stytch_session_jwt="+tc.token)
			if tc.reason != "" {
				wantReason(t, r, http.StatusUnauthorized, tc.reason)
			} else if wantStatus(t, r, http.StatusOK); r.upstream.Get("X-Auth-Email") != "user-expired@jwt.example" {
				t.Errorf("a rechecked token keeps its own claims: email %q", r.upstream.Get("X-Auth-Email"))
			}
			if n := len(f.stytch.callsFor(tc.token)); n != 1 {
				t.Errorf("%d calls, want 1", n)
			}
		})
	}
}

func TestRecheckConfigErrorsStopTheLoad(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_STYTCH_SECRET", "env-secret")
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte("s"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := strings.NewReplacer("{JWKS}", "http://127.0.0.1:9/jwks", "{STYTCH}", "http://127.0.0.1:9",
		"{KRATOS}", "http://127.0.0.1:9", "{AS}", "http://127.0.0.1:9", "{SECRET_FILE}", secretFile).Replace(sessionsSite)
	// Without recheck, stytch_jwt needs a source of its own to be valid.
	reachable := []string{"token_field session_jwt\n", "token_field session_jwt\n\t\t\tfrom header X-Stytch-JWT\n\t\t\tsubject_template check:{sub}\n"}
	// Mistakes in recheck references are found by `caddy adapt`, at their
	// line; the others when the config loads.
	cases := []struct {
		name  string
		edits []string // old, new pairs
		adapt bool     // refused by the Caddyfile adapter, not at load
		want  string
	}{
		{"an unknown recheck name", append([]string{"recheck stytch_jwt", "recheck nope"}, reachable...), true,
			`jwt stytch: recheck names "nope", which is no introspect block (introspect blocks: kratos, oauth, stytch_jwt, stytch_sessions), at Caddyfile:10`},
		{"recheck naming a jwt block", append([]string{"recheck stytch_jwt", "recheck stytch"}, reachable...), true,
			`jwt stytch: recheck names "stytch", a jwt verifier: recheck takes an introspect block (introspect blocks: kratos, oauth, stytch_jwt, stytch_sessions), at Caddyfile:10`},
		{"recheck_expired without recheck", append([]string{"recheck stytch_jwt\n", ""}, reachable...), true,
			"jwt stytch: recheck_expired needs recheck (the introspect block that re-checks the expired tokens), at Caddyfile:5"},
		{"an introspect block nobody can reach", []string{"from cookie ory_kratos_session\n", ""}, false, "no `from` source"},
		{"a client secret file that cannot be read", []string{secretFile, secretFile + ".missing"}, false, "empty once expanded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cf := strings.NewReplacer(tc.edits...).Replace(base)
			cf = strings.NewReplacer("{PORT}", strconv.Itoa(freePort(t)), "{STORAGE}", t.TempDir(), "{UPSTREAM}", "http://127.0.0.1:9").Replace(cf)
			if !tc.adapt {
				wantLoadError(t, adaptCaddyfile(t, cf), tc.want)
				return
			}
			if _, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(cf), nil); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("adapt error %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
