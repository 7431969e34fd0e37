package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/authgate/authgate/verifier"
)

var (
	bearer = verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}
	cookie = verifier.Source{Kind: verifier.SourceCookie, Name: "id_token"}
	raw    = verifier.Source{Kind: verifier.SourceHeader, Name: "X-Api-Token"}
)

func TestExtractTriesSourcesInOrder(t *testing.T) {
	routes := []sourceRoute{{source: bearer}, {source: cookie}, {source: raw}}
	cases := []struct {
		name    string
		headers map[string]string
		want    string
		wantSrc verifier.Source
		wantOK  bool
	}{
		{"a bearer token is found", map[string]string{"Authorization": "Bearer abc"}, "abc", bearer, true},
		{"the scheme is case-insensitive", map[string]string{"Authorization": "bearer abc"}, "abc", bearer, true},
		{"another scheme is not ours", map[string]string{"Authorization": "Basic abc"}, "", verifier.Source{}, false},
		{"a scheme without token is nothing", map[string]string{"Authorization": "Bearer "}, "", verifier.Source{}, false},
		{"a scheme glued to the token is nothing", map[string]string{"Authorization": "Bearerabc"}, "", verifier.Source{}, false},
		{"the header wins over the cookie", map[string]string{"Authorization": "Bearer h", "Cookie": "id_token=c"}, "h", bearer, true},
		{"the cookie is used when the header is absent", map[string]string{"Cookie": "a=1; id_token=c"}, "c", cookie, true},
		{"an empty cookie is nothing", map[string]string{"Cookie": "id_token="}, "", verifier.Source{}, false},
		{"a raw header is taken whole", map[string]string{"X-Api-Token": " t1 "}, "t1", raw, true},
		{"no credential at all", map[string]string{"Accept": "*/*"}, "", verifier.Source{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			cred, _, ok := extract(r, routes)
			if ok != tc.wantOK || cred.Value != tc.want || cred.Source != tc.wantSrc {
				t.Fatalf("got (%q, %v, %v), want (%q, %v, %v)", cred.Value, cred.Source, ok, tc.want, tc.wantSrc, tc.wantOK)
			}
		})
	}
}

func TestRemovingCookiesLeavesTheAppsCookiesAsSent(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	// Values net/http would not parse (a space, a backslash, JSON) pass as
	// sent; every cookie of the dropped name goes, in every Cookie line.
	r.Header.Add("Cookie", `prefs={"a": 1}; __Host-authgate_login_ab=sealed; legacy=a\b`)
	r.Header.Add("Cookie", "__Host-authgate_login_cd=x")
	r.Header.Add("Cookie", "authgate_logins=2; last=1")
	stripLoginCookies(r)
	got := r.Header.Values("Cookie")
	want := []string{`prefs={"a": 1}; legacy=a\b`, "last=1"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Cookie lines = %q, want %q", got, want)
	}
}

func TestStripCredentialsKeepsOtherCookies(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer x")
	r.Header.Set("Cookie", "a=1; id_token=secret; b=2")
	stripCredentials(r, []sourceRoute{{source: bearer}, {source: cookie}})
	if r.Header.Get("Authorization") != "" {
		t.Errorf("Authorization kept")
	}
	if got := r.Header.Get("Cookie"); got != "a=1; b=2" {
		t.Errorf("Cookie = %q, want %q", got, "a=1; b=2")
	}
}

// FuzzExtract feeds arbitrary header and cookie values to credential
// extraction: it must never panic, and whatever it returns must come from
// the request unchanged apart from trimming.
func FuzzExtract(f *testing.F) {
	f.Add("Bearer abc", "id_token=xyz")
	f.Add("Bearer ", "id_token=")
	f.Add("bEaReR \t tok", "id_token=\"quoted\"; other=1")
	f.Add("Basic dXNlcjpwYXNz", "id_token=a;id_token=b")
	f.Add("Bearer a.b.c", "=;;;id_token")
	routes := []sourceRoute{{source: bearer}, {source: cookie}}
	f.Fuzz(func(t *testing.T, authz, cookies string) {
		r := &http.Request{Header: http.Header{"Authorization": {authz}, "Cookie": {cookies}}}
		cred, _, ok := extract(r, routes)
		if ok && cred.Value == "" {
			t.Fatalf("an empty credential was returned as present")
		}
	})
}
