package verifier_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/claims"
	"github.com/authgate/authgate/verifier"
)

func TestRFC7662Answers(t *testing.T) {
	c := newClock()
	exp := unix(c.Now().Add(time.Hour))
	cases := []struct {
		name       string
		reply      http.HandlerFunc
		wantSub    string
		wantReason verifier.Reason
	}{
		{"an active token with a subject passes", answer(200, map[string]any{"active": true, "sub": "alice", "exp": exp, "scope": "read write", "client_id": "app"}), "alice", ""},
		{"active false is inactive", answer(200, map[string]any{"active": false, "sub": "alice"}), "", verifier.ReasonInactive},
		{"an active token without a subject is inactive", answer(200, map[string]any{"active": true, "client_id": "app"}), "", verifier.ReasonInactive},
		{"a numeric subject is no subject", answer(200, map[string]any{"active": true, "sub": 42}), "", verifier.ReasonInactive},
		{"an exp in the past is inactive", answer(200, map[string]any{"active": true, "sub": "alice", "exp": unix(c.Now().Add(-time.Second))}), "", verifier.ReasonInactive},
		{"active as a string proves nothing", answer(200, map[string]any{"active": "true", "sub": "alice"}), "", verifier.ReasonIntrospectionUnavailable},
		{"a missing active proves nothing", answer(200, map[string]any{"sub": "alice"}), "", verifier.ReasonIntrospectionUnavailable},
		{"an exp that is a string proves nothing", answer(200, map[string]any{"active": true, "sub": "alice", "exp": "tomorrow"}), "", verifier.ReasonIntrospectionUnavailable},
		{"a 401 means the gateway's client credentials failed", answer(401, map[string]any{"error": "invalid_client"}), "", verifier.ReasonIntrospectionUnavailable},
		{"a 500 is unavailable", answer(500, nil), "", verifier.ReasonIntrospectionUnavailable},
		{"a redirect is not followed", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/elsewhere", http.StatusFound) }, "", verifier.ReasonIntrospectionUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newSessionService(t, tc.reply)
			v := newIntrospect(t, verifier.IntrospectConfig{Name: "oauth", URL: svc.URL, Mode: verifier.IntrospectRFC7662,
				ClientID: "gate way", ClientSecret: "s3cret:x", CacheTTL: time.Minute, Now: c.Now})
			id, err := v.Verify(context.Background(), bearer("opaque-token_1"))
			checkOutcome(t, id, err, tc.wantSub, tc.wantReason)
			seen := svc.last()
			if seen.method != "POST" || seen.form != "opaque-token_1" {
				t.Errorf("service saw %s with token %q, want a form POST of the token", seen.method, seen.form)
			}
			// RFC 6749 section 2.3.1: id and secret are form-encoded first.
			want := "Basic " + base64.StdEncoding.EncodeToString([]byte("gate+way:s3cret%3Ax"))
			if seen.authorization != want {
				t.Errorf("Authorization = %q, want %q", seen.authorization, want)
			}
		})
	}
}

func TestRFC7662MembersBecomeClaims(t *testing.T) {
	c := newClock()
	exp := c.Now().Add(time.Hour).Truncate(time.Second)
	svc := newSessionService(t, answer(200, map[string]any{"active": true, "sub": "alice", "iss": "https://as.example/",
		"exp": unix(exp), "scope": "read write", "ext": map[string]any{"tier": "gold"}}))
	v := newIntrospect(t, verifier.IntrospectConfig{Name: "oauth", URL: svc.URL, Mode: verifier.IntrospectRFC7662, CacheTTL: 2 * time.Hour, Now: c.Now})
	id, err := v.Verify(context.Background(), bearer("tok"))
	if err != nil {
		t.Fatal(err)
	}
	if _, has := id.Claims["active"]; has {
		t.Error("active must not become a claim")
	}
	if id.Claims["scope"] != "read write" || id.Issuer != "https://as.example/" || id.Verifier != "oauth" {
		t.Errorf("identity = %+v", id)
	}
	if tier, _ := claims.Lookup(id.Claims, "ext.tier"); tier != "gold" {
		t.Errorf("ext.tier = %v", tier)
	}
	if !id.ExpiresAt.Equal(exp) || !id.ValidUntil.Equal(exp) {
		t.Errorf("ExpiresAt %v ValidUntil %v, want both %v (cache_ttl is longer than the token's life)", id.ExpiresAt, id.ValidUntil, exp)
	}
}

func TestJSONSessionAnswers(t *testing.T) {
	c := newClock()
	later := c.Now().Add(time.Hour)
	cases := []struct {
		name       string
		reply      http.HandlerFunc
		wantSub    string
		wantReason verifier.Reason
	}{
		{"a 200 with a session passes", answer(200, stytchSession("user-1", later)), "user-1", ""},
		{"unix seconds are an expiry too", answer(200, map[string]any{"session": map[string]any{"user_id": "u", "expires_at": unix(later)}}), "u", ""},
		{"a 401 is inactive", answer(401, map[string]any{"error_type": "session_not_found"}), "", verifier.ReasonInactive},
		{"a 403 is inactive", answer(403, nil), "", verifier.ReasonInactive},
		{"a 2xx without a subject is inactive", answer(200, map[string]any{"session": map[string]any{}}), "", verifier.ReasonInactive},
		{"an empty subject is inactive", answer(200, stytchSession("", later)), "", verifier.ReasonInactive},
		{"a session that expired is inactive", answer(200, stytchSession("user-1", c.Now().Add(-time.Minute))), "", verifier.ReasonInactive},
		{"a 404 is unavailable unless listed as inactive", answer(404, nil), "", verifier.ReasonIntrospectionUnavailable},
		{"a 429 is unavailable", answer(429, nil), "", verifier.ReasonIntrospectionUnavailable},
		{"an expiry that is not a time proves nothing", answer(200, map[string]any{"session": map[string]any{"user_id": "u", "expires_at": "soon"}}), "", verifier.ReasonIntrospectionUnavailable},
		{"an expiry of the wrong type proves nothing", answer(200, map[string]any{"session": map[string]any{"user_id": "u", "expires_at": true}}), "", verifier.ReasonIntrospectionUnavailable},
		{"claims that are not an object prove nothing", answer(200, map[string]any{"session": map[string]any{"user_id": "u", "custom_claims": []any{1}}}), "", verifier.ReasonIntrospectionUnavailable},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newSessionService(t, tc.reply)
			v := newIntrospect(t, stytchConfig(svc.URL, c))
			id, err := v.Verify(context.Background(), cookieCred("session_token", "sess-abc"))
			checkOutcome(t, id, err, tc.wantSub, tc.wantReason)
			if seen := svc.last(); seen.method != "POST" || seen.json["session_token"] != "sess-abc" || seen.contentType != "application/json" {
				t.Errorf("service saw %+v, want a JSON POST of session_token", seen)
			}
		})
	}
}

func TestInactiveStatusesAreConfigurable(t *testing.T) {
	svc := newSessionService(t, answer(404, map[string]any{"error_type": "session_not_found"}))
	cfg := stytchConfig(svc.URL, newClock())
	cfg.InactiveStatus = []int{401, 404}
	v := newIntrospect(t, cfg)
	id, err := v.Verify(context.Background(), cookieCred("session_token", "gone"))
	wantRefused(t, id, err, verifier.ReasonInactive)
	svc.setReply(answer(403, nil))
	id, err = v.Verify(context.Background(), cookieCred("session_token", "other"))
	wantRefused(t, id, err, verifier.ReasonIntrospectionUnavailable)
}

func TestJSONSessionClaimsComeFromClaimsPath(t *testing.T) {
	c := newClock()
	exp := c.Now().Add(10 * time.Second).Truncate(time.Second)
	svc := newSessionService(t, answer(200, stytchSession("user-1", exp)))
	v := newIntrospect(t, stytchConfig(svc.URL, c))
	id, err := v.Verify(context.Background(), cookieCred("session_token", "s"))
	if err != nil {
		t.Fatal(err)
	}
	if id.Claims["email"] != "user-1@example.com" || id.Claims["sub"] != "user-1" {
		t.Errorf("claims = %v", id.Claims)
	}
	if !id.ExpiresAt.Equal(exp) || !id.ValidUntil.Equal(exp) {
		t.Errorf("ExpiresAt %v ValidUntil %v, want %v", id.ExpiresAt, id.ValidUntil, exp)
	}
}

func TestWhoamiForwardsTheCredential(t *testing.T) {
	c := newClock()
	kratos := func(w http.ResponseWriter, r *http.Request) {
		ck, err := r.Cookie("ory_kratos_session")
		if r.Method != http.MethodGet || err != nil || ck.Value != "MTY0-kratos" {
			answer(401, map[string]any{"error": map[string]any{"code": 401}})(w, r)
			return
		}
		answer(200, map[string]any{"id": "sess-1", "active": true, "expires_at": c.Now().Add(time.Hour).Format(time.RFC3339),
			"identity": map[string]any{"id": "9f2c", "traits": map[string]any{"email": "k@example.com"}}})(w, r)
	}
	cases := []struct {
		name    string
		forward verifier.Source
		token   string
		wantSub string
		want    verifier.Reason
	}{
		{"the session cookie is forwarded", verifier.Source{Kind: verifier.SourceCookie, Name: "ory_kratos_session"}, "MTY0-kratos", "9f2c", ""},
		{"an unknown session is inactive", verifier.Source{Kind: verifier.SourceCookie, Name: "ory_kratos_session"}, "other", "", verifier.ReasonInactive},
		{"forwarded as a header the cookie is missing", verifier.Source{Kind: verifier.SourceHeader, Name: "X-Session-Token"}, "MTY0-kratos", "", verifier.ReasonInactive},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			svc := newSessionService(t, kratos)
			v := newIntrospect(t, verifier.IntrospectConfig{Name: "kratos", URL: svc.URL, Forward: &tc.forward,
				SubjectPath: "identity.id", ClaimsPath: "identity.traits", ExpiresPath: "expires_at",
				CacheTTL: time.Minute, Now: c.Now})
			id, err := v.Verify(context.Background(), cookieCred("ory_kratos_session", tc.token))
			checkOutcome(t, id, err, tc.wantSub, tc.want)
			if tc.forward.Kind == verifier.SourceHeader && svc.last().header != tc.token {
				t.Errorf("X-Session-Token = %q, want the token", svc.last().header)
			}
		})
	}
}

func TestIntrospectConfigIsChecked(t *testing.T) {
	fwd := &verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}
	cases := []struct {
		name string
		cfg  verifier.IntrospectConfig
		want string
	}{
		{"a name is required", verifier.IntrospectConfig{URL: "https://a/"}, "name is required"},
		{"the url must be http(s)", verifier.IntrospectConfig{Name: "x", URL: "ftp://a/"}, "url must be"},
		{"GET needs forward", verifier.IntrospectConfig{Name: "x", URL: "https://a/", Method: "get"}, "needs forward"},
		{"rfc7662 never forwards", verifier.IntrospectConfig{Name: "x", URL: "https://a/", Mode: verifier.IntrospectRFC7662, Forward: fwd}, "rfc7662 mode posts"},
		{"paths are for json mode", verifier.IntrospectConfig{Name: "x", URL: "https://a/", Mode: verifier.IntrospectRFC7662, ClaimsPath: "a"}, "json mode"},
		{"unknown modes are refused", verifier.IntrospectConfig{Name: "x", URL: "https://a/", Mode: "soap"}, "mode must be"},
		{"client credentials and a forwarded Authorization clash", verifier.IntrospectConfig{Name: "x", URL: "https://a/", Forward: fwd, ClientID: "id"}, "conflicts"},
		{"negative durations are refused", verifier.IntrospectConfig{Name: "x", URL: "https://a/", CacheTTL: -1}, "negative"},
		{"inactive statuses are for json mode", verifier.IntrospectConfig{Name: "x", URL: "https://a/", Mode: verifier.IntrospectRFC7662, InactiveStatus: []int{404}}, "json mode"},
		{"a 2xx cannot mean inactive", verifier.IntrospectConfig{Name: "x", URL: "https://a/", InactiveStatus: []int{204}}, "inactive statuses must be"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := verifier.NewIntrospectVerifier(tc.cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// checkOutcome fails unless the verification produced wantSub, or failed
// with wantReason when wantSub is empty.
func checkOutcome(t *testing.T, id *verifier.Identity, err error, wantSub string, wantReason verifier.Reason) {
	t.Helper()
	if wantSub == "" {
		wantRefused(t, id, err, wantReason)
		return
	}
	if err != nil {
		t.Fatalf("got %v, want subject %q", err, wantSub)
	}
	if id.Subject != wantSub {
		t.Fatalf("subject = %q, want %q", id.Subject, wantSub)
	}
}

func wantRefused(t *testing.T, id *verifier.Identity, err error, want verifier.Reason) {
	t.Helper()
	if id != nil {
		t.Fatalf("got identity %+v, want reason %q", id, want)
	}
	wantReason(t, err, want)
}
