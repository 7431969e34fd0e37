package claimsource

import (
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestNewHTTPClaim(t *testing.T) {
	ok := HTTPClaim{Name: "roles", URL: "https://u.internal/users/{sub}", Client: NewClient()}
	tests := []struct {
		name    string
		edit    func(*HTTPClaim)
		wantErr string
	}{
		{"a valid claim builds", func(*HTTPClaim) {}, ""},
		{"a registered claim is refused", func(c *HTTPClaim) { c.Name = "sub" }, `cannot refresh "sub"`},
		{"an empty name is refused", func(c *HTTPClaim) { c.Name = "" }, "cannot refresh"},
		{"a missing URL is refused", func(c *HTTPClaim) { c.URL = "" }, "fetch is required"},
		{"a missing client is refused", func(c *HTTPClaim) { c.Client = nil }, "no HTTP client"},
		{"an unsafe template is refused", func(c *HTTPClaim) { c.URL = "https://{sub}.internal/" }, "placeholders"},
		{"a header name with a colon is refused", func(c *HTTPClaim) { c.Header = http.Header{"X:Y": {"v"}} }, "not valid"},
		{"a header value with a line break is refused", func(c *HTTPClaim) { c.Header = http.Header{"X-Key": {"a\r\nb"}} }, "line break"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			got, err := NewHTTPClaim(c)
			if tc.wantErr == "" {
				if err != nil || got.Name != "roles" || got.Source == nil {
					t.Fatalf("NewHTTPClaim = %+v, %v", got, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestHTTPSourceWithoutAClientFails(t *testing.T) {
	tpl, err := ParseURLTemplate("https://u.internal/users/{sub}")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (&HTTPSource{URL: tpl}).Fetch(t.Context(), user("idp", "u1")); !errors.Is(err, errNoClient) {
		t.Fatalf("error = %v, want errNoClient", err)
	}
}
