package checkhttp

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// fakeRoute authenticates every request as id (or fails with err) and
// answers refusals with their status and body, as the gateway does.
type fakeRoute struct {
	id        *verifier.Identity
	err       error
	responded error // what Respond was given
}

func (f *fakeRoute) Authenticate(*http.Request) (*verifier.Identity, error) { return f.id, f.err }

func (f *fakeRoute) Respond(w http.ResponseWriter, _ *http.Request, err error) error {
	f.responded = err
	w.WriteHeader(http.StatusUnauthorized)
	return nil
}

func (f *fakeRoute) Refuse(w http.ResponseWriter, _ *http.Request, status int, _, body string) error {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write([]byte(body))
	return err
}

// testClock is the budget's clock, moved by hand.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// newEndpoint builds an endpoint with a global `require tenant exists`,
// roles editor (blog:read, blog:write) and viewer (blog:read), and the
// check admin_area (roles includes admin); events per minute.
func newEndpoint(t testing.TB, events int, clock *testClock) *Endpoint {
	t.Helper()
	opts := policy.Options{Roles: map[string][]string{"editor": {"blog:read", "blog:write"}, "viewer": {"blog:read"}}}
	compile := func(specs ...policy.Spec) *policy.Policy {
		p, err := policy.Compile(specs, opts)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	cfg := Config{
		Global:  compile(policy.Spec{Claim: "tenant", Op: policy.OpExists}),
		Checks:  map[string]*policy.Policy{"admin_area": compile(policy.Spec{Claim: "roles", Op: policy.OpIncludes, Values: []any{"admin"}})},
		Options: opts, Events: events, Window: time.Minute,
	}
	if clock != nil {
		cfg.Now = clock.now
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func viewer() *fakeRoute {
	return &fakeRoute{id: &verifier.Identity{Subject: "alice", Claims: map[string]any{
		"tenant": "acme", "roles": []any{"viewer"}}}}
}

// serve sends method target (with body as JSON when not "") to e.
func serve(t *testing.T, e *Endpoint, rt Route, method, target, contentType, body string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	w := httptest.NewRecorder()
	if err := e.Serve(w, r, rt); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	return w
}

func TestGetAnswersAllQuestionsTogether(t *testing.T) {
	e := newEndpoint(t, 100, nil)
	tests := []struct {
		name, query, want string
	}{
		{"a permission the caller has", "permission=blog:read", `{"allowed":true}`},
		{"a permission the caller lacks", "permission=blog:write",
			`{"allowed":false,"claimValidationErrors":[{"id":"permission:blog:write","reason":{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer"]}}]}`},
		{"several must all hold", "permission=blog:read&check=admin_area",
			`{"allowed":false,"claimValidationErrors":[{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["viewer"]}}]}`},
		{"escaped values are decoded", "permission=blog%3Aread", `{"allowed":true}`},
		{"a question asked twice is answered once", "permission=blog:write&permission=blog:write",
			`{"allowed":false,"claimValidationErrors":[{"id":"permission:blog:write","reason":{"message":"wrong value","expectedPermission":"blog:write","actualValue":["viewer"]}}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, e, viewer(), "GET", "/.authgate/check?"+tc.query, "", "")
			if w.Code != http.StatusOK || w.Body.String() != tc.want {
				t.Fatalf("got %d %s\nwant 200 %s", w.Code, w.Body, tc.want)
			}
			if w.Header().Get("Cache-Control") != "no-store" || w.Header().Get("Content-Type") != "application/json" {
				t.Errorf("headers %v", w.Header())
			}
		})
	}
}

func TestGlobalFailureIsReportedOnceForEveryQuestion(t *testing.T) {
	e := newEndpoint(t, 100, nil)
	rt := &fakeRoute{id: &verifier.Identity{Subject: "bob", Claims: map[string]any{"roles": []any{"editor"}}}}
	want := `{"allowed":false,"claimValidationErrors":[{"id":"tenant","reason":{"message":"value does not exist"}}]}`
	if w := serve(t, e, rt, "GET", "/c?permission=blog:read&permission=blog:write", "", ""); w.Body.String() != want {
		t.Fatalf("GET answer %s, want %s", w.Body, want)
	}
	w := serve(t, e, rt, "POST", "/c", "application/json", `[{"permission":"blog:read"},{"check":"admin_area"}]`)
	wantResults := `{"results":[` + want + `,` + want + `]}`
	if w.Body.String() != wantResults {
		t.Fatalf("POST answer %s, want %s", w.Body, wantResults)
	}
}

func TestPostAnswersEachQuestionInOrder(t *testing.T) {
	e := newEndpoint(t, 100, nil)
	w := serve(t, e, viewer(), "POST", "/c", "application/json; charset=utf-8",
		`[{"permission":"blog:read"},{"check":"admin_area"},{"permission":"blog:read"}]`)
	var got struct{ Results []map[string]any }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != http.StatusOK {
		t.Fatalf("got %d %s", w.Code, w.Body)
	}
	allowed := []any{got.Results[0]["allowed"], got.Results[1]["allowed"], got.Results[2]["allowed"]}
	if len(got.Results) != 3 || allowed[0] != true || allowed[1] != false || allowed[2] != true {
		t.Fatalf("results %s, want allowed true, false, true", w.Body)
	}
}

func TestRefusedRequestsGetAReasonAndNoEcho(t *testing.T) {
	e := newEndpoint(t, 100, nil)
	big := `[` + strings.Repeat(`{"permission":"blog:read"},`, 1000) + `{"check":"x"}]`
	many := `[` + strings.Repeat(`{"permission":"blog:read"},`, DefaultMaxBatch) + `{"check":"x"}]`
	var manyQuery strings.Builder
	for i := range DefaultMaxBatch + 1 {
		fmt.Fprintf(&manyQuery, "&permission=p%d", i)
	}
	tests := []struct {
		name, method, target, ctype, body string
		status                            int
		reason                            string
	}{
		{"an undeclared check", "GET", "/c?check=secret_probe", "", "", 400, ReasonUnknownCheck},
		{"an undeclared check in a batch", "POST", "/c", "application/json", `[{"check":"secret_probe"}]`, 400, ReasonUnknownCheck},
		{"a permission with a space", "GET", "/c?permission=secret%20probe", "", "", 400, ReasonBadPermission},
		{"a permission with a control character", "POST", "/c", "application/json", `[{"permission":"secret\u0000probe"}]`, 400, ReasonBadPermission},
		{"an empty permission", "GET", "/c?permission=", "", "", 400, ReasonBadRequest},
		{"no question", "GET", "/c", "", "", 400, ReasonBadRequest},
		{"an unknown parameter", "GET", "/c?permissions=secret_probe", "", "", 400, ReasonBadRequest},
		{"a bad escape", "GET", "/c?permission=%zz", "", "", 400, ReasonBadRequest},
		{"too many questions in a query", "GET", "/c?" + manyQuery.String()[1:], "", "", 400, ReasonBatchTooLarge},
		{"a POST that is not JSON", "POST", "/c", "text/plain", `[{"check":"secret_probe"}]`, 415, ReasonUnsupportedMedia},
		{"a form POST", "POST", "/c", "application/x-www-form-urlencoded", `check=secret_probe`, 415, ReasonUnsupportedMedia},
		{"a POST without a type", "POST", "/c", "", `[]`, 415, ReasonUnsupportedMedia},
		{"a body over the cap", "POST", "/c", "application/json", big, 413, ReasonBodyTooLarge},
		{"a batch over the cap", "POST", "/c", "application/json", many, 400, ReasonBatchTooLarge},
		{"an empty batch", "POST", "/c", "application/json", `[]`, 400, ReasonBadRequest},
		{"an object, not a list", "POST", "/c", "application/json", `{"check":"secret_probe"}`, 400, ReasonBadRequest},
		{"a question with both", "POST", "/c", "application/json", `[{"check":"admin_area","permission":"blog:read"}]`, 400, ReasonBadRequest},
		{"a question with neither", "POST", "/c", "application/json", `[{}]`, 400, ReasonBadRequest},
		{"an unknown field", "POST", "/c", "application/json", `[{"expr":"secret_probe"}]`, 400, ReasonBadRequest},
		{"a body that is not UTF-8", "POST", "/c", "application/json", "[{\"permission\":\"secret\xff\"}]", 400, ReasonBadRequest},
		{"data after the list", "POST", "/c", "application/json", `[{"check":"admin_area"}] [{"check":"secret_probe"}]`, 400, ReasonBadRequest},
		{"a PUT", "PUT", "/c?check=admin_area", "", "", 405, ReasonMethodNotAllowed},
		{"a DELETE", "DELETE", "/c?check=admin_area", "", "", 405, ReasonMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := serve(t, e, viewer(), tc.method, tc.target, tc.ctype, tc.body)
			var got struct{ Reason string }
			_ = json.Unmarshal(w.Body.Bytes(), &got)
			if w.Code != tc.status || got.Reason != tc.reason {
				t.Fatalf("got %d %s, want %d reason %s", w.Code, w.Body, tc.status, tc.reason)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("the answer echoes the request: %s", w.Body)
			}
		})
	}
}

func TestMethodNotAllowedNamesGetAndPost(t *testing.T) {
	w := serve(t, newEndpoint(t, 100, nil), viewer(), "PATCH", "/c", "", "")
	if got := w.Header().Get("Allow"); got != "GET, POST" {
		t.Fatalf("Allow = %q", got)
	}
}

func TestUnauthenticatedCallersGetTheRoutesAnswerBeforeAnyLookup(t *testing.T) {
	e := newEndpoint(t, 100, nil)
	rt := &fakeRoute{err: verifier.ErrNoCredential}
	w := serve(t, e, rt, "GET", "/c?check=secret_probe", "", "")
	if w.Code != http.StatusUnauthorized || !errors.Is(rt.responded, verifier.ErrNoCredential) {
		t.Fatalf("got %d, route given %v; want the route's own 401", w.Code, rt.responded)
	}
}

func TestEachSubjectHasABudgetOfQuestions(t *testing.T) {
	clock := &testClock{t: time.Unix(1000, 0)}
	e := newEndpoint(t, 4, clock)
	if w := serve(t, e, viewer(), "POST", "/c", "application/json",
		`[{"permission":"blog:read"},{"permission":"blog:read"},{"permission":"blog:read"}]`); w.Code != 200 {
		t.Fatalf("a batch of 3 within a budget of 4: %d", w.Code)
	}
	if w := serve(t, e, viewer(), "POST", "/c", "application/json",
		`[{"permission":"blog:read"},{"permission":"blog:read"}]`); w.Code != 429 || w.Header().Get("Retry-After") != "15" {
		t.Fatalf("a batch of 2 with 1 left: %d, Retry-After %q; want 429 after 15 s", w.Code, w.Header().Get("Retry-After"))
	}
	if w := serve(t, e, viewer(), "GET", "/c?permission=blog:read", "", ""); w.Code != 200 {
		t.Fatalf("a refused batch spent the budget: %d", w.Code)
	}
	w := serve(t, e, viewer(), "GET", "/c?permission=blog:read", "", "")
	if w.Code != 429 || !strings.Contains(w.Body.String(), `"reason":"rate_limited"`) {
		t.Fatalf("over budget: %d %s", w.Code, w.Body)
	}
	other := &fakeRoute{id: &verifier.Identity{Subject: "bob", Claims: map[string]any{"tenant": "acme"}}}
	if w := serve(t, e, other, "GET", "/c?permission=blog:read", "", ""); w.Code != 200 {
		t.Fatalf("another subject shares alice's budget: %d", w.Code)
	}
	clock.t = clock.t.Add(15 * time.Second)
	if w := serve(t, e, viewer(), "GET", "/c?permission=blog:read", "", ""); w.Code != 200 {
		t.Fatalf("no question back after a quarter of the window: %d", w.Code)
	}
	if e.maxBatch != 4 {
		t.Errorf("batch cap %d, want the budget's 4", e.maxBatch)
	}
}

func TestNewRefusesABudgetWithoutEventsOrWindow(t *testing.T) {
	for _, cfg := range []Config{{Events: 0, Window: time.Minute}, {Events: 1}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}
