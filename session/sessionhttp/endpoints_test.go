package sessionhttp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// fakeRoute records what the endpoints asked the route to answer.
type fakeRoute struct {
	id        *verifier.Identity
	err       error
	responded error
	sources   []credential.Route
}

func (f *fakeRoute) Authenticate(*http.Request) (*verifier.Identity, error) { return f.id, f.err }

func (f *fakeRoute) Respond(w http.ResponseWriter, _ *http.Request, err error) error {
	f.responded = err
	w.WriteHeader(http.StatusUnauthorized)
	return nil
}

func (f *fakeRoute) Refuse(w http.ResponseWriter, _ *http.Request, status int, reason, body string) error {
	w.Header().Set("X-Reason", reason)
	w.WriteHeader(status)
	_, err := w.Write([]byte(body))
	return err
}

func (f *fakeRoute) Sources() []credential.Route { return f.sources }

// fakeSessions is an in-memory Sessions that remembers what was asked.
type fakeSessions struct {
	created []session.NewSession
	revoked []string
	used    map[string]bool
	denied  []session.Denial
}

func (f *fakeSessions) Create(_ context.Context, ns session.NewSession) (string, *session.Session, error) {
	f.created = append(f.created, ns)
	now := time.Now()
	return "new-token", &session.Session{ID: "s1", UserID: ns.UserID, Created: now, LastSeen: now, Expires: now.Add(time.Hour)}, nil
}

func (f *fakeSessions) Authenticate(context.Context, string, string) (*session.Session, error) {
	return nil, verifier.Reject(verifier.ReasonSessionRevoked, nil)
}

func (f *fakeSessions) Attest(context.Context, *session.Session, session.Attestation) (string, *session.Session, error) {
	return "", nil, errors.New("fakeSessions: no attest")
}

func (f *fakeSessions) RevokeToken(_ context.Context, token string) (*session.Session, error) {
	f.revoked = append(f.revoked, token)
	return &session.Session{ID: "old-" + token}, nil
}

func (f *fakeSessions) UseIssued(_ context.Context, key string, _, _ time.Time) (bool, error) {
	if f.used == nil {
		f.used = map[string]bool{}
	}
	first := !f.used[key]
	f.used[key] = true
	return first, nil
}

func (f *fakeSessions) Denied(context.Context, *verifier.Identity) (bool, error) { return false, nil }

func (f *fakeSessions) Deny(_ context.Context, d session.Denial) (int, error) {
	f.denied = append(f.denied, d)
	return 0, nil
}

// fakeVerifier accepts every token as the identity it holds.
type fakeVerifier struct{ id verifier.Identity }

func (f fakeVerifier) Verify(context.Context, verifier.Credential) (*verifier.Identity, error) {
	id := f.id
	return &id, nil
}

func newEndpoints(t *testing.T, s Sessions, exchange verifier.Verifier) *Endpoints {
	t.Helper()
	e, err := New(Config{Sessions: s, Cookie: Cookie{Name: "sess", Secure: true}, Exchange: exchange,
		ExchangeMaxAge: 5 * time.Minute, Lifetime: 24 * time.Hour, MaxTokenBytes: 8192, HostOf: func(context.Context) string { return "app.example" }})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSessionEndpointRefusesWhatItCannotServe(t *testing.T) {
	exchange := fakeVerifier{}
	cases := []struct {
		name       string
		exchange   verifier.Verifier
		method     string
		header     map[string]string
		wantStatus int
		wantReason string
	}{
		{"another method", exchange, http.MethodPut, nil, http.StatusMethodNotAllowed, "method_not_allowed"},
		{"exchange turned off", nil, http.MethodPost, nil, http.StatusNotFound, "exchange_disabled"},
		{"a cross-site browser", exchange, http.MethodPost, map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden, "cross_site"},
		{"a form post", exchange, http.MethodPost, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnsupportedMediaType, "unsupported_media_type"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEndpoints(t, &fakeSessions{}, tc.exchange)
			r := httptest.NewRequest(tc.method, "https://app.example/.authgate/session", strings.NewReader("a=b"))
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			if err := e.ServeSession(w, r, &fakeRoute{}); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.wantStatus || w.Header().Get("X-Reason") != tc.wantReason {
				t.Fatalf("got %d %q, want %d %q", w.Code, w.Header().Get("X-Reason"), tc.wantStatus, tc.wantReason)
			}
		})
	}
}

func TestWhoAmIAnswersWithTheRoutesIdentity(t *testing.T) {
	e := newEndpoints(t, &fakeSessions{}, nil)
	rt := &fakeRoute{id: &verifier.Identity{Subject: "alice", Verifier: "session", SessionID: "s9"}}
	w := httptest.NewRecorder()
	if err := e.ServeSession(w, httptest.NewRequest(http.MethodGet, "/.authgate/session", nil), rt); err != nil {
		t.Fatal(err)
	}
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `"user_id":"alice"`) || !strings.Contains(body, `"session_id":"s9"`) {
		t.Fatalf("got %d %s", w.Code, body)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("Cache-Control = %q, want no-store", w.Header().Get("Cache-Control"))
	}

	rt = &fakeRoute{err: verifier.ErrNoCredential}
	w = httptest.NewRecorder()
	_ = e.ServeSession(w, httptest.NewRequest(http.MethodGet, "/.authgate/session", nil), rt)
	if !errors.Is(rt.responded, verifier.ErrNoCredential) {
		t.Fatalf("responded %v, want the route's own refusal", rt.responded)
	}
}

func TestExchangeMintsOneSessionPerTokenAndEndsCarriedOnes(t *testing.T) {
	sessions := &fakeSessions{}
	exchange := fakeVerifier{verifier.Identity{Subject: "alice", Issuer: "idp", TokenID: "j1", IssuedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour)}}
	e := newEndpoints(t, sessions, exchange)
	post := func() (*httptest.ResponseRecorder, *fakeRoute) {
		r := httptest.NewRequest(http.MethodPost, "/.authgate/session", nil)
		r.Header.Set("Authorization", "Bearer idp.token.sig")
		r.Header.Add("Cookie", "sess=planted1; sess=planted2")
		rt := &fakeRoute{}
		w := httptest.NewRecorder()
		if err := e.ServeSession(w, r, rt); err != nil {
			t.Fatal(err)
		}
		return w, rt
	}
	w, _ := post()
	if w.Code != http.StatusCreated || !strings.Contains(w.Header().Get("Set-Cookie"), "sess=new-token") {
		t.Fatalf("first exchange: %d, Set-Cookie %q", w.Code, w.Header().Get("Set-Cookie"))
	}
	if len(sessions.created) != 1 || sessions.created[0].Host != "app.example" || sessions.created[0].UserID != "alice" {
		t.Fatalf("created %+v, want alice's session bound to app.example", sessions.created)
	}
	if strings.Join(sessions.revoked, ",") != "planted1,planted2" {
		t.Fatalf("revoked %v, want both carried cookies", sessions.revoked)
	}
	_, rt := post()
	var rejected *verifier.RejectedError
	if !errors.As(rt.responded, &rejected) || rejected.Reason != ReasonTokenReused {
		t.Fatalf("second exchange answered %v, want %s", rt.responded, ReasonTokenReused)
	}
}

func TestLogoutRedirectsOnlyToItsOwnOrigin(t *testing.T) {
	cases := []struct {
		target     string
		wantStatus int
	}{
		{"/bye", http.StatusSeeOther},
		{"https://app.example/bye", http.StatusSeeOther},
		{"https://evil.example/bye", http.StatusNoContent},
		{"//evil.example", http.StatusNoContent},
		{"", http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.target, func(t *testing.T) {
			sessions := &fakeSessions{}
			e := newEndpoints(t, sessions, nil)
			r := httptest.NewRequest(http.MethodPost, "https://app.example/.authgate/logout?redirect_uri="+tc.target, nil)
			r.Header.Set("Cookie", "sess=t1")
			w := httptest.NewRecorder()
			if err := e.ServeLogout(w, r, &fakeRoute{}); err != nil {
				t.Fatal(err)
			}
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d", w.Code, tc.wantStatus)
			}
			if len(sessions.revoked) != 1 || !strings.Contains(w.Header().Get("Set-Cookie"), "sess=;") {
				t.Fatalf("revoked %v, Set-Cookie %q: want the session ended and its cookie cleared", sessions.revoked, w.Header().Get("Set-Cookie"))
			}
		})
	}
}

func TestCrossSiteTellsBrowsersFromOtherSites(t *testing.T) {
	cases := []struct {
		origin, fetchSite string
		want              bool
	}{
		{"", "", false},
		{"https://app.example", "", false},
		{"https://app.example:443", "", false},
		{"http://app.example", "", false}, // behind a TLS terminator
		{"https://app.example:8443", "", true},
		{"https://evil.example", "", true},
		{"null", "", true},
		{"", "cross-site", true},
		{"", "same-site", false},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(http.MethodPost, "https://app.example/", nil)
		if tc.origin != "" {
			r.Header.Set("Origin", tc.origin)
		}
		if tc.fetchSite != "" {
			r.Header.Set("Sec-Fetch-Site", tc.fetchSite)
		}
		if got := CrossSite(r); got != tc.want {
			t.Errorf("CrossSite(Origin %q, Sec-Fetch-Site %q) = %v, want %v", tc.origin, tc.fetchSite, got, tc.want)
		}
	}
}

func TestExchangeKeyNamesOneTokenWhateverItsSignature(t *testing.T) {
	a := exchangeKey(&verifier.Identity{Issuer: "ab", TokenID: "c", TokenDigest: "d1"})
	b := exchangeKey(&verifier.Identity{Issuer: "a", TokenID: "bc", TokenDigest: "d1"})
	if a == b {
		t.Fatal("two (iss, jti) pairs that concatenate alike share a key")
	}
	if exchangeKey(&verifier.Identity{Issuer: "ab", TokenID: "c", TokenDigest: "d2"}) != a {
		t.Fatal("the key of a token with a jti depends on its digest")
	}
	if got := exchangeKey(&verifier.Identity{TokenDigest: "d1"}); got != "x|d|d1" {
		t.Fatalf("key without jti = %q, want the digest's", got)
	}
	if got := exchangeKey(&verifier.Identity{}); got != "" {
		t.Fatalf("key of a non-JWT identity = %q, want none", got)
	}
}

func TestHoldsSessionToken(t *testing.T) {
	tok, _ := session.NewToken()
	for _, tc := range []struct {
		value string
		want  bool
	}{
		{"Bearer " + tok, true},
		{"bearer\t\t" + tok, true},
		{tok, true},
		{"Token " + tok, true},
		{`Session token="` + tok + `"`, true},
		{"Basic dXNlcjpwYXNz, Bearer " + tok, true},
		{"Bearer," + tok, true},
		{"Bearer eyJhbGciOi.x.y", false},
		{"Basic dXNlcjpwYXNz", false},
		{"Bearer x" + tok, false},
	} {
		if got := holdsSessionToken(tc.value); got != tc.want {
			t.Errorf("holdsSessionToken(%.30q) = %v, want %v", tc.value, got, tc.want)
		}
	}
}
