package caddymodule

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/explain"
)

// TestExplainShowsSessionOrigin: a session credential's trace names the
// session's origin, whether the route's verifiers admit it (they bind
// sessions: a route naming verifiers accepts only the sessions they made),
// its factors and the expiry of the token it was exchanged from.
func TestExplainShowsSessionOrigin(t *testing.T) {
	g := startExplainGateway(t)
	exp := time.Now().Add(time.Hour).Truncate(time.Second)
	tok := sesDevToken(t, g.gateway, map[string]any{"sub": "eve", "iat": time.Now().Unix(), "exp": exp.Unix(),
		"jti": "explain-origin", "amr": []string{"pwd", "otp"}})
	made := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+tok)
	wantStatus(t, made, http.StatusCreated)
	cookie := sessionCookieName + "=" + sesCookie(t, made).Value

	t.Run("admitted everywhere verifiers are not named", func(t *testing.T) {
		tr, raw := g.explainLive(explain.Request{URL: g.base + "/x", Cookies: []string{cookie}})
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		s := tr.Session
		if s == nil || s.Origin != "dev" || !s.Admitted || s.RouteOrigins != nil || s.ID != tr.Identity.SessionID {
			t.Fatalf("session %+v", s)
		}
		if s.TokenExpiresAt != exp.UTC().Format(time.RFC3339) || !s.BoundToToken || s.ExpiresAt != s.TokenExpiresAt {
			t.Errorf("bind_to_token: session %+v", s)
		}
		if len(s.Factors) != 1 || s.Factors[0].Verifier != "dev" || !slices.Equal(s.Factors[0].AMR, []string{"pwd", "otp"}) || s.Factors[0].At == "" {
			t.Errorf("factors %+v", s.Factors)
		}
		if strings.Contains(raw, sesCookie(t, made).Value) || strings.Contains(raw, "token_hash") {
			t.Fatal("the trace holds the session token or its hash")
		}
	})
	t.Run("refused where the route's verifiers do not admit its origin", func(t *testing.T) {
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/st-or-session/x", Cookies: []string{cookie}})
		wantOutcome(t, tr, explain.OutcomeUnauthorized, http.StatusUnauthorized)
		s := tr.Session
		if tr.Decision.Reason != "bad_issuer" || s == nil || s.Origin != "dev" || s.Admitted || !slices.Equal(s.RouteOrigins, []string{"session", "st"}) {
			t.Fatalf("decision %+v session %+v", tr.Decision, s)
		}
		var text strings.Builder
		if err := tr.WriteText(&text); err != nil || !strings.Contains(text.String(), "made by dev: NOT ADMITTED") ||
			!strings.Contains(text.String(), "factor:     dev at ") {
			t.Errorf("text:\n%s", text.String())
		}
		// The real request agrees.
		wantStatus(t, send(t, g.base, "GET", "/st-or-session/x", "", "Cookie: "+cookie), http.StatusUnauthorized)
	})
	t.Run("a session of the admin API is the route's when it names session", func(t *testing.T) {
		r := send(t, "http://"+g.admin, "POST", "/authgate/sessions", `{"user_id":"bob"}`, jsonCT)
		wantStatus(t, r, http.StatusCreated)
		var created struct {
			Token string `json:"session_token"`
		}
		if err := jsonUnmarshal(r.body, &created); err != nil {
			t.Fatal(err)
		}
		tr, _ := g.explainLive(explain.Request{URL: g.base + "/st-or-session/x", Cookies: []string{sessionCookieName + "=" + created.Token}})
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		if s := tr.Session; s == nil || s.Origin != "session" || !s.Admitted || s.TokenExpiresAt != "" || s.Factors != nil {
			t.Fatalf("session %+v", s)
		}
	})
}

// TestExplainOfABindHostSession: a session bound to its site (bind_host)
// is explained as the site's request sees it: the host comes from the
// described request, not from the admin call's.
func TestExplainOfABindHostSession(t *testing.T) {
	g := startExplainGateway(t, "bind_to_token", "bind_host")
	made := send(t, g.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+sesDevToken(t, g.gateway,
		map[string]any{"sub": "eve", "iat": time.Now().Unix(), "jti": "explain-bind-host"}))
	wantStatus(t, made, http.StatusCreated)
	cookie := sessionCookieName + "=" + sesCookie(t, made).Value
	wantStatus(t, send(t, g.base, "GET", "/x", "", "Cookie: "+cookie), http.StatusOK)
	tr, _ := g.explainLive(explain.Request{URL: g.base + "/x", Cookies: []string{cookie}})
	wantOutcome(t, tr, explain.OutcomeAllowed, 0)
	if tr.Session == nil || tr.Session.Host == "" {
		t.Fatalf("session %+v", tr.Session)
	}
}
