package explain

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/authgate/authgate/policy"
)

func TestRequestDescriptionsBecomeRequests(t *testing.T) {
	r, err := Request{URL: "https://app.example.com/a?b=c", Token: "tok", Cookies: []string{"s=v"},
		Headers: []string{"Accept: text/html", "X-Api-Key:  k "}}.HTTPRequest()
	if err != nil {
		t.Fatal(err)
	}
	if r.Method != "GET" || r.TLS == nil || r.Host != "app.example.com" || r.RequestURI != "/a?b=c" {
		t.Fatalf("request %s %v %s %s", r.Method, r.TLS, r.Host, r.RequestURI)
	}
	if r.Header.Get("Authorization") != "Bearer tok" || r.Header.Get("X-Api-Key") != "k" || r.Header.Get("Accept") != "text/html" {
		t.Fatalf("headers %v", r.Header)
	}
	if c, err := r.Cookie("s"); err != nil || c.Value != "v" {
		t.Fatalf("cookie %v %v", c, err)
	}
	if r, _ := (Request{URL: "http://127.0.0.1:8080/", Headers: []string{"Host: app.example.com"}}).HTTPRequest(); r.Host != "app.example.com" {
		t.Errorf("a Host header sets the request's host: %q", r.Host)
	}
	for _, bad := range []Request{{URL: "/relative"}, {URL: "ftp://x/"}, {URL: "http://x/", Headers: []string{"no colon"}},
		{URL: "http://x/", Cookies: []string{"novalue"}}} {
		if _, err := bad.HTTPRequest(); err == nil {
			t.Errorf("%+v: no error", bad)
		}
	}
}

func TestCredentialsAppearByDigestOnly(t *testing.T) {
	seg := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	tok := seg(map[string]string{"alg": "RS256", "kid": "k1"}) + "." + seg(map[string]string{"iss": "https://idp/", "sub": "alice"}) + ".sig"
	info := jwtInfo(tok)
	if info == nil || info.Alg != "RS256" || info.Kid != "k1" || info.Iss != "https://idp/" {
		t.Fatalf("jwt info %+v", info)
	}
	if jwtInfo("opaque-token") != nil || jwtInfo("a.b.c") != nil {
		t.Error("a non-JWT read as one")
	}
	if d := digest(tok); len(d) != 12 || strings.Contains(tok, d) {
		t.Errorf("digest %q", d)
	}
	for in, want := range map[string]string{
		"https://x/p?token=secret":            "https://x/p?…",
		"https://u:secret@x/p":                "https://x/p",
		"https://x/p#secret":                  "https://x/p",
		"https://u:secret@x/p?token=secret#f": "https://x/p?…",
		"https://x/p?":                        "https://x/p?…",
	} {
		if got := withoutQuery(in); got != want || strings.Contains(got, "secret") {
			t.Errorf("withoutQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExitCodes(t *testing.T) {
	for outcome, want := range map[string]int{
		OutcomeAllowed: 0, OutcomeNotProtected: 0, OutcomeUnauthorized: 1, OutcomeForbidden: 1,
		OutcomeRedirected: 1, OutcomeUnavailable: 1, OutcomeBadRequest: 1, OutcomeUndetermined: 2, OutcomeNotAllowed: 1,
	} {
		if got := (&Trace{Decision: Decision{Outcome: outcome}}).ExitCode(); got != want {
			t.Errorf("%s: exit %d, want %d", outcome, got, want)
		}
	}
}

func TestTextShowsEachStep(t *testing.T) {
	value := any([]any{"dev"})
	age, maxAge := 2.5, 0.0
	tr := &Trace{Mode: ModeLive, Request: RequestTrace{Method: "GET", URL: "https://x/staff"},
		Route:      &RouteTrace{Server: "srv0", Path: []string{"route 0 (host x)"}, NotSimulated: []string{"http.handlers.rewrite"}},
		Sources:    []SourceTrace{{Source: "header Authorization Bearer", Present: true, Chosen: true, Length: 40, SHA256: "0123456789ab"}},
		Verifier:   &VerifierTrace{Name: "corp", Why: "because", Result: "accepted", Cache: "hit"},
		Identity:   &IdentityTrace{Subject: "alice", Verifier: "corp"},
		Claims:     []ClaimTrace{{Claim: "team", State: policy.ClaimWouldFetch, MaxAgeSeconds: &maxAge}},
		Validators: []ValidatorTrace{{ID: "team", Op: "includes", Claim: "team", Mode: "enforce", Expected: "ops", Value: &value, AgeSeconds: &age, MaxAgeSeconds: &maxAge, Result: "failed", Reason: &policy.Reason{Message: "wrong value"}}},
		Decision:   Decision{Outcome: OutcomeForbidden, Status: 403, Reason: "policy_denied", Body: json.RawMessage(`{"message":"invalid claim"}`)},
	}
	var b bytes.Buffer
	if err := tr.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"route:      srv0: route 0 (host x)", "not simulated (may rewrite the request): http.handlers.rewrite",
		"present, 40 bytes, sha256 0123456789ab…  <- used", "verifier:   corp: accepted (cache hit)", "claim:      team: would fetch (max age 0s)",
		`FAILED       team includes "ops": saw ["dev"], age 2.5s, max age 0s [enforce]`, "decision:   FORBIDDEN 403 Forbidden reason policy_denied",
		`body:       {"message":"invalid claim"}`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("no %q in\n%s", want, b.String())
		}
	}
}
