package oidclogin

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/authgate/authgate/internal/oidctest"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// recorder is an Observer that records every report as a line.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, fmt.Sprintf(format, args...))
}

func (r *recorder) LoginStarted(p string)               { r.add("started %s", p) }
func (r *recorder) LoginCompleted(p string)             { r.add("completed %s", p) }
func (r *recorder) LoginFailed(p string, reason Reason) { r.add("failed %q %s", p, reason) }

func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func wantEvents(t *testing.T, rec *recorder, want ...string) {
	t.Helper()
	if got := rec.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("events:\n got %q\nwant %q", got, want)
	}
}

// fakeDeps are five-line stand-ins for the server glue.
type fakeSessions struct{}

func (fakeSessions) Create(context.Context, session.NewSession) (string, *session.Session, error) {
	return "token", &session.Session{Expires: time.Now().Add(time.Hour)}, nil
}
func (fakeSessions) Link(context.Context, string, string, time.Time) error { return nil }
func (fakeSessions) Linked(context.Context, string) (string, error)        { return "", session.ErrNotFound }
func (fakeSessions) RevokeWhere(context.Context, string, func(*session.Session) bool) (int, error) {
	return 0, nil
}

type onceMarkers struct {
	mu   sync.Mutex
	used map[string]bool
}

func (m *onceMarkers) Use(_ context.Context, key string, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	first := !m.used[key]
	m.used[key] = true
	return first, nil
}

func (m *onceMarkers) UseIssued(ctx context.Context, key string, _, until time.Time) (bool, error) {
	return m.Use(ctx, key, until)
}

type fakeCookies struct{}

func (fakeCookies) Carried(*http.Request) bool                 { return false }
func (fakeCookies) EndCarried(*http.Request) error             { return nil }
func (fakeCookies) Set(http.ResponseWriter, string, time.Time) {}
func (fakeCookies) BoundHost(*http.Request) string             { return "" }

// plainRequests are requests on plain http from one client.
type plainRequests struct{}

func (plainRequests) ClientKey(*http.Request) string       { return "192.0.2.1" }
func (plainRequests) Scheme(*http.Request) string          { return "http" }
func (plainRequests) OriginalURL(r *http.Request) *url.URL { return r.URL }
func (plainRequests) Answered(*http.Request, int, string)  {}

const testCallback = "http://127.0.0.1:8080/.authgate/callback"

// observedProvider is a provider "corp" of op whose Set reports to rec.
func observedProvider(t *testing.T, op *oidctest.Provider, rec *recorder) *Provider {
	t.Helper()
	keys := func(ctx context.Context, jwksURL string) (verifier.KeySource, func() error, error) {
		ks, err := verifier.NewRemoteKeySource(ctx, verifier.RemoteKeyOptions{URL: jwksURL})
		return ks, func() error { return nil }, err
	}
	set := NewSet(Options{EndpointPrefix: "/.authgate/", InsecureCookies: true, MaxTokenBytes: 8192,
		MaxClaims: 256, MaxClaimDepth: 16, ExchangeMaxAge: 5 * time.Minute},
		Deps{Sessions: fakeSessions{}, Markers: &onceMarkers{used: map[string]bool{}}, Cookies: fakeCookies{},
			Requests: plainRequests{}, Keys: keys, Codec: testCodec(t, 7), Log: nopLog{}, Observer: rec})
	cb, _ := url.Parse(testCallback)
	p, err := set.Add(t.Context(), Config{Name: "corp", Issuer: op.Issuer(), ClientID: "app", ClientSecret: "app-secret",
		Scopes: []string{"openid"}, CallbackURLs: map[string]*url.URL{"127.0.0.1:8080": cb}, SubjectTemplate: "{sub}",
		LoginTimeout: 10 * time.Minute, Timeout: 5 * time.Second,
		LoginLimit: Limit{Events: 100, Window: time.Minute}, FailureLimit: Limit{Events: 100, Window: time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = set.Close() })
	return p
}

func TestLoginsAreReported(t *testing.T) {
	op := oidctest.New(t, oidctest.Options{ClientID: "app", ClientSecret: "app-secret", RedirectURIs: []string{testCallback}})
	op.AutoLogin("alice")
	rec := &recorder{}
	p := observedProvider(t, op, rec)

	start := httptest.NewRecorder()
	p.Challenge(start, httptest.NewRequest("GET", "http://127.0.0.1:8080/app", nil), "http://127.0.0.1:8080/app")
	if start.Code != http.StatusFound {
		t.Fatalf("challenge answered %d, want a redirect to the provider", start.Code)
	}
	wantEvents(t, rec, `started corp`)

	// The provider signs alice in at once and sends her back.
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(start.Header().Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := httptest.NewRequest("GET", resp.Header.Get("Location"), nil)
	for _, c := range start.Result().Cookies() {
		callback.AddCookie(c)
	}
	done := httptest.NewRecorder()
	p.ServeCallback(done, callback)
	if done.Code != http.StatusSeeOther {
		t.Fatalf("callback answered %d: %s", done.Code, done.Body)
	}
	wantEvents(t, rec, `completed corp`)

	replay := httptest.NewRecorder()
	p.ServeCallback(replay, callback)
	wantEvents(t, rec, `failed "corp" state_reused`)
	p.ServeCallback(httptest.NewRecorder(), httptest.NewRequest("GET", testCallback+"?state=x&code=y", nil))
	wantEvents(t, rec, `failed "corp" invalid_state`)
	p.set.ServeLogin(httptest.NewRecorder(), httptest.NewRequest("GET", "http://127.0.0.1:8080/.authgate/login?provider=other", nil), nil)
	wantEvents(t, rec, `failed "" unknown_provider`)
}

func TestNoObserverCostsNoAllocation(t *testing.T) {
	s := NewSet(Options{}, Deps{})
	allocs := testing.AllocsPerRun(100, func() {
		s.observer().LoginStarted("corp")
		s.observer().LoginFailed("corp", reasonInvalidState)
	})
	if allocs != 0 {
		t.Fatalf("reporting to no observer allocated %v times", allocs)
	}
}
