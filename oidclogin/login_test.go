package oidclogin

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fakeRequests sees every request as coming from one client.
type fakeRequests struct{ answered []string }

func (*fakeRequests) ClientKey(*http.Request) string       { return "192.0.2.1" }
func (*fakeRequests) Scheme(*http.Request) string          { return "https" }
func (*fakeRequests) OriginalURL(r *http.Request) *url.URL { return r.URL }
func (f *fakeRequests) Answered(_ *http.Request, status int, reason string) {
	f.answered = append(f.answered, strconv.Itoa(status)+" "+reason)
}

type nopLog struct{}

func (nopLog) Debug(string, ...any) {}
func (nopLog) Info(string, ...any)  {}
func (nopLog) Warn(string, ...any)  {}
func (nopLog) Error(string, ...any) {}

// testSet returns a set with one provider, corp, that cannot be reached
// (it has no issuer), with budgets of two logins and two failures.
func testSet(t *testing.T) (*Set, *fakeRequests) {
	t.Helper()
	codec, err := NewCodec(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	req := &fakeRequests{}
	s := NewSet(Options{EndpointPrefix: "/.authgate/"}, Deps{Requests: req, Codec: codec, Log: nopLog{}})
	t.Cleanup(func() { _ = s.Close() })
	cb, _ := url.Parse("https://app.example/.authgate/callback")
	limit := Limit{Events: 2, Window: time.Minute}
	_, err = s.Add(context.Background(), Config{
		Name: "corp", CallbackURLs: map[string]*url.URL{"app.example": cb},
		LoginLimit: limit, FailureLimit: limit, LoginTimeout: time.Minute, Timeout: time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, req
}

func browserRequest(method, target string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Accept", "text/html")
	return r
}

func TestLoginEndpointRefusals(t *testing.T) {
	for _, tc := range []struct {
		name, method, target string
		wantStatus           int
		wantReason           string
	}{
		{"a POST is not allowed", "POST", "https://app.example/.authgate/login", 405, "method_not_allowed"},
		{"an unknown provider is not found", "GET", "https://app.example/.authgate/login?provider=other", 404, "unknown_provider"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, req := testSet(t)
			w := httptest.NewRecorder()
			s.ServeLogin(w, httptest.NewRequest(tc.method, tc.target, nil), nil)
			if w.Code != tc.wantStatus || !strings.Contains(w.Body.String(), tc.wantReason) {
				t.Fatalf("got %d %s, want %d %s", w.Code, w.Body, tc.wantStatus, tc.wantReason)
			}
			if len(req.answered) != 1 || req.answered[0] != strconv.Itoa(tc.wantStatus)+" "+tc.wantReason {
				t.Fatalf("the server was told %q", req.answered)
			}
		})
	}
}

func TestLoginAtAnUnreachableProviderIs503UntilTheClientsBudgetIsSpent(t *testing.T) {
	s, _ := testSet(t)
	for i, want := range []int{503, 503, 429} {
		w := httptest.NewRecorder()
		s.ServeLogin(w, browserRequest("GET", "https://app.example/.authgate/login?redirect_uri=/home"), nil)
		if w.Code != want || w.Header().Get("Retry-After") == "" || w.Header().Get("Location") != "" {
			t.Fatalf("login %d: %d (Retry-After %q, Location %q), want %d with Retry-After and no redirect",
				i+1, w.Code, w.Header().Get("Retry-After"), w.Header().Get("Location"), want)
		}
	}
}

func TestChallengeOnACallbackPathDoesNotStartALogin(t *testing.T) {
	s, _ := testSet(t)
	w := httptest.NewRecorder()
	s.Get("corp").Challenge(w, browserRequest("GET", "https://app.example/.authgate/callback?state=x"), "https://app.example/")
	if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), string(reasonInvalidState)) {
		t.Fatalf("got %d %s, want 404 invalid_state", w.Code, w.Body)
	}
}

func TestChallengeShowsALoopPageToABrowserThatKeepsComingBack(t *testing.T) {
	s, _ := testSet(t)
	now := time.Now().Unix()
	marker := "3." + strconv.FormatInt(now, 10) + "." + s.deps.Codec.LoopMAC(3, now)
	r := browserRequest("GET", "https://app.example/home?tab=2")
	r.AddCookie(&http.Cookie{Name: loginLoopCookie, Value: marker})
	w := httptest.NewRecorder()
	s.Get("corp").Challenge(w, r, "https://app.example/home?tab=2")
	retry := `href="/.authgate/login?provider=corp&amp;redirect_uri=%2Fhome%3Ftab%3D2&amp;reset_loop=1"`
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), string(reasonLoginLoop)) || !strings.Contains(w.Body.String(), retry) {
		t.Fatalf("got %d %s, want 401 login_loop with the reset link", w.Code, w.Body)
	}
}

func TestCallbacksWithoutTheirLoginSpendTheClientsFailures(t *testing.T) {
	s, _ := testSet(t)
	for i, want := range []int{400, 400, 429} {
		w := httptest.NewRecorder()
		s.Get("corp").ServeCallback(w, browserRequest("GET", "https://app.example/.authgate/callback?state=forged&code=abc"))
		if w.Code != want {
			t.Fatalf("callback %d: %d %s, want %d", i+1, w.Code, w.Body, want)
		}
	}
}
