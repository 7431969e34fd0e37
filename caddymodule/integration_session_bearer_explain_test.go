package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/authgate/authgate/explain"
	"github.com/authgate/authgate/session"
)

// explainBearer posts a request description to the fixture's explain
// admin route.
func (f *bearerFixture) explainBearer(t *testing.T, d explain.Request) *explain.Trace {
	t.Helper()
	body, _ := json.Marshal(d)
	r := send(t, f.admin, "POST", "/authgate/explain", string(body), jsonCT)
	wantStatus(t, r, http.StatusOK)
	var tr explain.Trace
	if err := json.Unmarshal([]byte(r.body), &tr); err != nil {
		t.Fatalf("decoding trace %s: %v", r.body, err)
	}
	if strings.Contains(r.body, d.Token) && d.Token != "" {
		t.Fatal("the trace holds the token")
	}
	return &tr
}

// `caddy authgate explain` shares the route's verifier chain: a session
// token as Bearer is explained as the handler decides it, by the session
// verifier alone, and never sent to the introspection endpoint.
func TestExplainSessionTokenAsBearer(t *testing.T) {
	f := startBearerGateway(t, "bearer on")
	tok, id := f.exchangeForToken("alice")
	unknown, _ := session.NewToken()
	t.Run("a live token is the session verifier's, named by the session's origin", func(t *testing.T) {
		tr := f.explainBearer(t, explain.Request{URL: f.g.base + "/x", Token: tok})
		wantOutcome(t, tr, explain.OutcomeAllowed, 0)
		if tr.Verifier == nil || tr.Verifier.Name != "dev" || !strings.Contains(tr.Verifier.Why, "prefix "+session.TokenPrefix) ||
			tr.Identity == nil || tr.Identity.SessionID != id {
			t.Fatalf("verifier %+v identity %+v", tr.Verifier, tr.Identity)
		}
	})
	refused := []struct {
		name, path string
		d          explain.Request
		wantReason string
	}{
		{"an unknown token is session_revoked", "/x", explain.Request{Token: unknown}, "session_revoked"},
		{"a live token where sessions are not read is bad_issuer", "/introspected/x", explain.Request{Token: tok}, "bad_issuer"},
		{"the cookie next to the token is malformed", "/x", explain.Request{Token: tok, Cookies: []string{sessionCookieName + "=" + tok}}, "malformed"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			tc.d.URL = f.g.base + tc.path
			tr := f.explainBearer(t, tc.d)
			wantOutcome(t, tr, explain.OutcomeUnauthorized, http.StatusUnauthorized)
			if tr.Decision.Reason != tc.wantReason {
				t.Fatalf("decision %+v", tr.Decision)
			}
			for _, fetch := range []bool{false, true} {
				tc.d.Fetch = fetch
				if tr := f.explainBearer(t, tc.d); tr.Decision.Reason != tc.wantReason {
					t.Fatalf("with fetch %v: decision %+v", fetch, tr.Decision)
				}
			}
		})
	}
	f.wantNoIntrospection(t)
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK)
}
