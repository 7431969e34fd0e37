package sessionhttp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
)

// fakeAdminSessions knows one session, "s1".
type fakeAdminSessions struct {
	fakeSessions
	claims map[string]any
}

func (f *fakeAdminSessions) List(context.Context, string) ([]*session.Session, error) {
	return nil, nil
}

func (f *fakeAdminSessions) Get(_ context.Context, id string) (*session.Session, error) {
	if id != "s1" {
		return nil, session.ErrNotFound
	}
	return &session.Session{ID: id}, nil
}

func (f *fakeAdminSessions) Revoke(ctx context.Context, id string) (*session.Session, error) {
	return f.Get(ctx, id)
}

func (f *fakeAdminSessions) RevokeUser(context.Context, string) (int, error) { return 0, nil }

func (f *fakeAdminSessions) SetClaim(_ context.Context, _, name string, value any) error {
	if f.claims == nil {
		f.claims = map[string]any{}
	}
	f.claims[name] = value
	return nil
}

func (f *fakeAdminSessions) DeleteClaim(_ context.Context, _, name string) error {
	if _, ok := f.claims[name]; !ok {
		return session.ErrNoClaim
	}
	delete(f.claims, name)
	return nil
}

func TestCheckAdminRequestRefusesWhatBrowsersCanSend(t *testing.T) {
	cases := []struct {
		name, method, contentType, origin, body string
		wantStatus                              int
	}{
		{"JSON post", http.MethodPost, "application/json", "", "{}", 0},
		{"bodiless GET", http.MethodGet, "", "", "", 0},
		{"bodiless DELETE", http.MethodDelete, "", "", "", 0},
		{"an Origin", http.MethodGet, "", "https://evil.example", "", http.StatusForbidden},
		{"a form post", http.MethodPost, "application/x-www-form-urlencoded", "", "a=b", http.StatusUnsupportedMediaType},
		{"a DELETE with a body", http.MethodDelete, "", "", "{}", http.StatusUnsupportedMediaType},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/authgate/sessions", strings.NewReader(tc.body))
			if tc.contentType != "" {
				r.Header.Set("Content-Type", tc.contentType)
			}
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			err := CheckAdminRequest(r)
			var refused *APIError
			switch {
			case tc.wantStatus == 0 && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.wantStatus != 0 && (!errors.As(err, &refused) || refused.Status != tc.wantStatus):
				t.Fatalf("got %v, want status %d", err, tc.wantStatus)
			}
		})
	}
}

func TestAdminClaimWritesRefuseReservedAndFetchableClaims(t *testing.T) {
	sessions := &fakeAdminSessions{}
	var audited []string
	audit := func(_ *http.Request, action string, kv ...any) { audited = append(audited, fmt.Sprint(action, kv)) }
	admin := NewAdmin(sessions, func(claim string) bool { return claim == "roles" || strings.HasPrefix(claim, "roles.") }, audit)
	cases := []struct {
		path       string
		wantStatus int
	}{
		{"/authgate/sessions/s1/claims/sub", http.StatusBadRequest},
		{"/authgate/sessions/s1/claims/roles", http.StatusConflict},
		{"/authgate/sessions/s1/claims/roles.admin", http.StatusConflict},
		{"/authgate/sessions/nope/claims/plan", http.StatusNotFound},
		{"/authgate/sessions/s1/claims/", http.StatusNotFound},
		{"/authgate/sessions/s1/claims/https:%2F%2Fexample.com%2Fplan", http.StatusNoContent},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPut, tc.path, strings.NewReader(`"gold"`))
			w := httptest.NewRecorder()
			err := admin.Serve(w, r)
			status := w.Code
			var refused *APIError
			if errors.As(err, &refused) {
				status = refused.Status
			} else if err != nil {
				t.Fatal(err)
			}
			if status != tc.wantStatus {
				t.Fatalf("status %d, want %d", status, tc.wantStatus)
			}
		})
	}
	if sessions.claims["https://example.com/plan"] != "gold" {
		t.Fatalf("claims set: %v, want the unescaped namespaced claim", sessions.claims)
	}
	// One audit record, for the one write that happened: the claim's
	// name, never its value.
	if len(audited) != 1 || !strings.Contains(audited[0], "https://example.com/plan") || strings.Contains(audited[0], "gold") {
		t.Fatalf("audited %q, want one record naming the claim without its value", audited)
	}
}

func TestAdminClaimDeleteFollowsThePutRules(t *testing.T) {
	sessions := &fakeAdminSessions{claims: map[string]any{"mfa": nil, "sub": "x"}}
	var audited []string
	audit := func(_ *http.Request, action string, kv ...any) { audited = append(audited, fmt.Sprint(action, kv)) }
	admin := NewAdmin(sessions, func(claim string) bool { return claim == "roles" }, audit)
	cases := []struct {
		method, path string
		wantStatus   int
		wantMessage  string
	}{
		{http.MethodDelete, "/authgate/sessions/s1/claims/sub", http.StatusBadRequest, `claim "sub" is reserved`},
		{http.MethodDelete, "/authgate/sessions/s1/claims/roles", http.StatusConflict, "has a claim source"},
		{http.MethodDelete, "/authgate/sessions/nope/claims/mfa", http.StatusNotFound, "no such session"},
		{http.MethodDelete, "/authgate/sessions/s1/claims/plan", http.StatusNotFound, "no such claim"},
		{http.MethodDelete, "/authgate/sessions/s1/claims/mfa", http.StatusNoContent, ""},
		{http.MethodDelete, "/authgate/sessions/s1/claims/mfa", http.StatusNotFound, "no such claim"},
		{http.MethodPost, "/authgate/sessions/s1/claims/mfa", http.StatusMethodNotAllowed, "PUT, DELETE"},
	}
	for _, tc := range cases {
		r := httptest.NewRequest(tc.method, tc.path, nil)
		w := httptest.NewRecorder()
		err := admin.Serve(w, r)
		status, msg := w.Code, ""
		var refused *APIError
		if errors.As(err, &refused) {
			status, msg = refused.Status, refused.Error()
		} else if err != nil {
			t.Fatal(err)
		}
		if status != tc.wantStatus || !strings.Contains(msg, tc.wantMessage) {
			t.Errorf("%s %s: status %d %q, want %d %q", tc.method, tc.path, status, msg, tc.wantStatus, tc.wantMessage)
		}
	}
	if _, ok := sessions.claims["sub"]; !ok {
		t.Error("a reserved claim was removed")
	}
	if len(audited) != 1 || !strings.HasPrefix(audited[0], "session.delete_claim") || !strings.Contains(audited[0], "mfa") {
		t.Errorf("audited %q, want one session.delete_claim record", audited)
	}
}

func TestParseTTLTakesDurationsAndSeconds(t *testing.T) {
	cases := []struct {
		raw  string
		want time.Duration
		bad  bool
	}{
		{"", 0, false},
		{"null", 0, false},
		{"3600", time.Hour, false},
		{`"90m"`, 90 * time.Minute, false},
		{"0", 0, true},
		{"-5", 0, true},
		{`"-1h"`, 0, true},
		{`"soon"`, 0, true},
		{"true", 0, true},
	}
	for _, tc := range cases {
		got, err := parseTTL([]byte(tc.raw))
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("parseTTL(%s) = %v, %v; want %v, error %v", tc.raw, got, err, tc.want, tc.bad)
		}
	}
}
