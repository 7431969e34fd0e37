package verifier_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// sessionService is a real HTTP session endpoint for tests. It records
// every call and answers with the current reply, which tests may swap.
type sessionService struct {
	*httptest.Server
	calls atomic.Int64
	mu    sync.Mutex
	reply http.HandlerFunc
	// seen holds the last call's token, form and headers, as the service saw them.
	seen seenCall
}

type seenCall struct {
	method, contentType, authorization, cookie, header string
	form                                               string // RFC 7662 "token" form value
	json                                               map[string]string
}

func newSessionService(t *testing.T, reply http.HandlerFunc) *sessionService {
	t.Helper()
	s := &sessionService{reply: reply}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *sessionService) serve(w http.ResponseWriter, r *http.Request) {
	s.calls.Add(1)
	seen := seenCall{
		method: r.Method, contentType: r.Header.Get("Content-Type"), authorization: r.Header.Get("Authorization"),
		cookie: r.Header.Get("Cookie"), header: r.Header.Get("X-Session-Token"),
	}
	switch r.Header.Get("Content-Type") {
	case "application/x-www-form-urlencoded":
		_ = r.ParseForm()
		seen.form = r.PostForm.Get("token")
	case "application/json":
		_ = json.NewDecoder(r.Body).Decode(&seen.json)
	}
	s.mu.Lock()
	s.seen = seen
	reply := s.reply
	s.mu.Unlock()
	reply(w, r)
}

func (s *sessionService) setReply(h http.HandlerFunc) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reply = h
}

func (s *sessionService) last() seenCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// answer replies with status and the JSON encoding of body.
func answer(status int, body any) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
	}
}

// raw replies 200 with a fixed body.
func raw(body string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}
}

// stytchSession is a Stytch-like session answer for user, expiring at exp.
func stytchSession(user string, exp time.Time) map[string]any {
	return map[string]any{"session": map[string]any{
		"user_id": user, "expires_at": exp.UTC().Format(time.RFC3339),
		"custom_claims": map[string]any{"roles": []any{"editor"}, "email": user + "@example.com"},
	}}
}

// stytchConfig is the JSON-mode config for a Stytch-like endpoint.
func stytchConfig(url string, c *clock) verifier.IntrospectConfig {
	return verifier.IntrospectConfig{
		Name: "sessions", URL: url, TokenField: "session_token",
		SubjectPath: "session.user_id", ClaimsPath: "session.custom_claims", ExpiresPath: "session.expires_at",
		CacheTTL: 30 * time.Second, NegativeCacheTTL: 5 * time.Second,
		Timeout: 2 * time.Second, Now: c.Now,
	}
}

func newIntrospect(t *testing.T, cfg verifier.IntrospectConfig) *verifier.IntrospectVerifier {
	t.Helper()
	v, err := verifier.NewIntrospectVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func cookieCred(name, value string) verifier.Credential {
	return verifier.Credential{Source: verifier.Source{Kind: verifier.SourceCookie, Name: name}, Value: value}
}
