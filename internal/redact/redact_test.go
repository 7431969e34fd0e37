package redact

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestURLDropsUserinfoQueryAndFragment(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://idp.example/introspect", "https://idp.example/introspect"},
		{"https://idp.example/introspect?api_key=SECRET", "https://idp.example/introspect?REDACTED"},
		{"https://user:SECRET@idp.example:8443/x?a=1#frag", "https://idp.example:8443/x?REDACTED"},
		{"https://SECRET@idp.example/", "https://idp.example/"},
		{"http://[::1]:80/p?", "http://[::1]:80/p"},
		{"host:1234?SECRET", Unparsable},
		{"https://idp.example/%zz?SECRET", Unparsable},
	} {
		if got := URL(tc.in); got != tc.want || strings.Contains(got, "SECRET") {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTextRedactsEveryURLAndKeepsTheRest(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`Post "https://u:***@h.example/i?api_key=SECRET": dial tcp 127.0.0.1:1: connect: connection refused`,
			`Post "https://h.example/i?REDACTED": dial tcp 127.0.0.1:1: connect: connection refused`},
		{`loading JWKS "http://h/jwks?k=SECRET" and http://a:SECRET@b/c`, `loading JWKS "http://h/jwks?REDACTED" and http://b/c`},
		{`no url here`, `no url here`},
		{`must start with http:// or https://`, `must start with http:// or https://`},
		{`odd ://SECRET@x`, `odd ` + Unparsable},
		{`quoted "https://h/p?k=a\"SECRET"`, `quoted "https://h/p?REDACTED"`},
	} {
		if got := Text(tc.in); got != tc.want || strings.Contains(got, "SECRET") {
			t.Errorf("Text(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestErrorRedactsURLErrorsOfTheHTTPClientAndStillUnwraps(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://user:SECRET@127.0.0.1:1/x?api_key=SECRET", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = http.DefaultClient.Do(req)
	if err == nil {
		t.Fatal("want a connection error")
	}
	got := Error(err)
	if strings.Contains(got.Error(), "SECRET") || !strings.Contains(got.Error(), "127.0.0.1:1/x?REDACTED") {
		t.Fatalf("redacted error = %q", got)
	}
	var ue *url.Error
	if !errors.As(got, &ue) || !errors.Is(got, err) {
		t.Fatal("redacted error no longer unwraps to the *url.Error")
	}
	if Error(nil) != nil || Error(got) != got {
		t.Fatal("Error must keep nil and not wrap twice")
	}
}
