package caddymodule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

func TestRespondMapsErrorClassesToStatuses(t *testing.T) {
	h := &Handler{Handler: config.Handler{LoginURL: "https://login.example.com/", LoginParam: "redirect_uri"}, logger: zap.NewNop()}
	h.challenge = h.newChallenger()
	nav := map[string]string{"Accept": "text/html", "Sec-Fetch-Mode": "navigate"}
	cases := []struct {
		name       string
		err        error
		headers    map[string]string
		wantStatus int
		wantBody   string
	}{
		{"a missing credential from an API client is 401", verifier.ErrNoCredential, nil, 401, `"reason":"missing_credential"`},
		{"a missing credential in a browser goes to login", verifier.ErrNoCredential, nav, 302, ""},
		{"an expired token in a browser goes to login", verifier.Reject(verifier.ReasonTokenExpired, nil), nav, 302, ""},
		{"an inactive remote session in a browser goes to login", verifier.Reject(verifier.ReasonInactive, nil), nav, 302, ""},
		{"a too old token in a browser goes to login", verifier.Reject(verifier.ReasonTooOld, nil), nav, 302, ""},
		{"a forged token in a browser is still 401", verifier.Reject(verifier.ReasonBadSignature, nil), nav, 401, `"reason":"bad_signature"`},
		{"a policy denial is 403", &policy.Denial{Failures: []policy.Failure{{ID: "roles", Reason: policy.Reason{Message: "wrong value"}}}}, nil, 403, `"message":"invalid claim"`},
		{"an unavailable key source is 503", verifier.Unavailable(verifier.ReasonKeysUnavailable, errors.New("down")), nil, 503, `"reason":"keys_unavailable"`},
		{"an unavailable claim source is 503", &policy.RefreshError{Claim: "roles", Err: errors.New("down")}, nil, 503, `"reason":"claim_source_unavailable"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://app.example/page?x=1", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			if err := h.respond(w, r, tc.err); err != nil {
				t.Fatalf("respond returned %v", err)
			}
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d (body %s)", w.Code, tc.wantStatus, w.Body)
			}
			if !strings.Contains(w.Body.String(), tc.wantBody) {
				t.Errorf("body %s lacks %s", w.Body, tc.wantBody)
			}
			if w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("Cache-Control = %q", w.Header().Get("Cache-Control"))
			}
			if w.Code == http.StatusFound && !strings.HasPrefix(w.Header().Get("Location"), "https://login.example.com/?redirect_uri=http%3A%2F%2Fapp.example%2Fpage%3Fx%3D1") {
				t.Errorf("Location = %q", w.Header().Get("Location"))
			}
			if w.Code == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
				t.Errorf("503 without Retry-After")
			}
		})
	}
}

func TestUnknownErrorsAreInternalNot401(t *testing.T) {
	h := &Handler{logger: zap.NewNop()}
	w := httptest.NewRecorder()
	err := h.respond(w, httptest.NewRequest("GET", "/", nil), errors.New("bug"))
	if err == nil {
		t.Fatal("an unclassified error must become a caddyhttp 500 error")
	}
}
