package claimsource

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// claimServer is a local claim source whose handler a test chooses; it
// records the escaped path and query of every request.
type claimServer struct {
	*httptest.Server
	seen  atomic.Value // string: last escaped path?query
	calls atomic.Int64
}

func newClaimServer(t *testing.T, h http.HandlerFunc) *claimServer {
	t.Helper()
	cs := &claimServer{}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		cs.calls.Add(1)
		cs.seen.Store(r.URL.EscapedPath() + "?" + r.URL.RawQuery)
		h(w, r)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *claimServer) source(t *testing.T, tpl, path string) *HTTPSource {
	t.Helper()
	u, err := ParseURLTemplate(cs.URL + tpl)
	if err != nil {
		t.Fatal(err)
	}
	return &HTTPSource{URL: u, Path: path, Client: NewClient()}
}

func jsonBody(s string) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(s))
	}
}

func fetchWithin(t *testing.T, s *HTTPSource, id *verifier.Identity, d time.Duration) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Fetch(ctx, id)
}

func TestHTTPSourceReadsTheValueAtPath(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		path    string
		want    any
		wantErr error
	}{
		{"a top-level member", jsonBody(`{"roles":["admin"],"other":1}`), "roles", []any{"admin"}, nil},
		{"a nested member", jsonBody(`{"user":{"roles":["admin"]}}`), "user.roles", []any{"admin"}, nil},
		{"the whole body without a path", jsonBody(`["admin"]`), "", []any{"admin"}, nil},
		{"a value of another type is returned for policy to judge", jsonBody(`{"roles":"admin"}`), "roles", "admin", nil},
		{"null is a value", jsonBody(`{"roles":null}`), "roles", nil, nil},
		{"a missing member is an error", jsonBody(`{"other":[]}`), "roles", nil, ErrBadResponse},
		{"a body that is not an object has no members", jsonBody(`["admin"]`), "roles", nil, ErrBadResponse},
		{"a body that is not JSON is an error", jsonBody(`<html>`), "roles", nil, ErrBadResponse},
		{"trailing garbage is an error", jsonBody(`{"roles":[]} x`), "roles", nil, ErrBadResponse},
		{"a 404 is an error", func(w http.ResponseWriter, _ *http.Request) { http.NotFound(w, nil) }, "roles", nil, ErrBadResponse},
		{"a 500 with a JSON body is an error", func(w http.ResponseWriter, _ *http.Request) {
			w.WriteHeader(500)
			_, _ = w.Write([]byte(`{"roles":["admin"]}`))
		}, "roles", nil, ErrBadResponse},
		{"too deep a value is an error", jsonBody(`{"roles":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}`), "roles", nil, ErrBadResponse},
		{"too many values is an error", jsonBody(`{"roles":[` + strings.Repeat(`"a",`, 300) + `"a"]}`), "roles", nil, ErrBadResponse},
		{"a body over the cap is an error", jsonBody(`{"roles":"` + strings.Repeat("a", DefaultMaxBodyBytes) + `"}`), "roles", nil, ErrBadResponse},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := newClaimServer(t, tc.handler)
			got, err := fetchWithin(t, cs.source(t, "/users/{sub}", tc.path), &verifier.Identity{Subject: "alice"}, 5*time.Second)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Fetch = %v, %v; want %v", got, err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "alice") || strings.Contains(err.Error(), "admin") {
					t.Errorf("error %q reveals the subject or the body", err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Fetch = %#v, %v; want %#v", got, err, tc.want)
			}
		})
	}
}

func TestHTTPSourceSendsConfiguredHeaders(t *testing.T) {
	var got http.Header
	cs := newClaimServer(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		jsonBody(`{"roles":[]}`)(w, r)
	})
	s := cs.source(t, "/users/{sub}", "roles")
	s.Header = http.Header{"Authorization": {"Bearer source-key"}}
	if _, err := fetchWithin(t, s, &verifier.Identity{Subject: "alice"}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if got.Get("Authorization") != "Bearer source-key" || got.Get("Accept") != "application/json" {
		t.Errorf("headers = %v", got)
	}
	if s.Header.Get("Accept") != "" {
		t.Error("Fetch modified the configured headers")
	}
}

func TestHTTPSourceDoesNotFollowRedirects(t *testing.T) {
	elsewhere := newClaimServer(t, jsonBody(`{"roles":["admin"]}`))
	cs := newClaimServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/users/alice", http.StatusFound)
	})
	_, err := fetchWithin(t, cs.source(t, "/users/{sub}", "roles"), &verifier.Identity{Subject: "alice"}, 5*time.Second)
	if !errors.Is(err, ErrBadResponse) {
		t.Fatalf("Fetch error = %v; want ErrBadResponse for a 302", err)
	}
	if elsewhere.calls.Load() != 0 {
		t.Error("the redirect was followed")
	}
}

func TestHTTPSourceSubjectsCannotLeaveThePrefix(t *testing.T) {
	cs := newClaimServer(t, jsonBody(`{"roles":[]}`))
	s := cs.source(t, "/v1/users/{sub}/roles?as={sub}", "roles")
	for _, sub := range []string{"alice", "../../admin", "a/b", "..%2F..", "?admin=1", "#frag", "%00", "a b", "..;/x"} {
		t.Run(sub, func(t *testing.T) {
			if _, err := fetchWithin(t, s, &verifier.Identity{Subject: sub}, 5*time.Second); err != nil {
				t.Fatal(err)
			}
			seen := cs.seen.Load().(string)
			path, _, _ := strings.Cut(seen, "?")
			rest, ok := strings.CutPrefix(path, "/v1/users/")
			if !ok || strings.Count(rest, "/") != 1 || !strings.HasSuffix(rest, "/roles") {
				t.Errorf("the source saw %q for subject %q", seen, sub)
			}
		})
	}
	for _, sub := range []string{"..", ".", ""} {
		calls := cs.calls.Load()
		if _, err := fetchWithin(t, s, &verifier.Identity{Subject: sub}, 5*time.Second); !errors.Is(err, ErrUnsafeURL) {
			t.Errorf("subject %q: error %v; want ErrUnsafeURL", sub, err)
		}
		if cs.calls.Load() != calls {
			t.Errorf("subject %q reached the source", sub)
		}
	}
}

func TestHTTPSourceCannotBeStalledByAHostileSource(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"a slow drip body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"roles":[`))
			for {
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-time.After(10 * time.Millisecond):
					_, _ = w.Write([]byte(`"a",`))
				}
			}
		}},
		{"headers that never come", func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }},
		{"an endless body", func(w http.ResponseWriter, _ *http.Request) {
			chunk := []byte(strings.Repeat("[", 64<<10))
			for {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cs := newClaimServer(t, tc.handler)
			start := time.Now()
			_, err := fetchWithin(t, cs.source(t, "/users/{sub}", "roles"), &verifier.Identity{Subject: "alice"}, 200*time.Millisecond)
			if err == nil {
				t.Fatal("Fetch succeeded")
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("Fetch took %v with a 200ms deadline", took)
			}
		})
	}
}

func TestHTTPSourceVariantFollowsTheTemplate(t *testing.T) {
	cs := newClaimServer(t, jsonBody(`{}`))
	bySub := cs.source(t, "/users/{sub}", "roles")
	byOrg := cs.source(t, "/orgs/{claims.org}/users/{sub}", "roles")
	id := &verifier.Identity{Subject: "alice", Claims: map[string]any{"org": "acme"}}
	if v, err := bySub.Variant(id); v != "" || err != nil {
		t.Errorf("subject-only Variant = %q, %v; want empty", v, err)
	}
	if v, err := byOrg.Variant(id); !strings.HasSuffix(v, "/orgs/acme/users/alice") || err != nil {
		t.Errorf("org Variant = %q, %v", v, err)
	}
}
