package credential

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/authgate/authgate/verifier"
)

var (
	bearer = verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}
	cookie = verifier.Source{Kind: verifier.SourceCookie, Name: "id_token"}
	raw    = verifier.Source{Kind: verifier.SourceHeader, Name: "X-Api-Token"}
)

func TestExtractTriesSourcesInOrder(t *testing.T) {
	routes := []Route{{Source: bearer}, {Source: cookie}, {Source: raw}}
	cases := []struct {
		name      string
		headers   []string // "Name: value" lines, added in order
		want      string
		wantSrc   verifier.Source
		wantErr   error // nil, ErrNoCredential, or a malformed rejection
		wantRetry bool  // a duplicated non-__Host- cookie
	}{
		{"a bearer token is found", []string{"Authorization: Bearer abc"}, "abc", bearer, nil, false},
		{"the scheme is case-insensitive", []string{"Authorization: bearer abc"}, "abc", bearer, nil, false},
		{"another scheme is not ours", []string{"Authorization: Basic abc"}, "", verifier.Source{}, verifier.ErrNoCredential, false},
		{"a scheme glued to the token is another scheme", []string{"Authorization: Bearerabc"}, "", verifier.Source{}, verifier.ErrNoCredential, false},
		{"a scheme without token is malformed", []string{"Authorization: Bearer "}, "", verifier.Source{}, errMalformed, false},
		{"an empty value is malformed", []string{"Authorization: "}, "", verifier.Source{}, errMalformed, false},
		{"a tab after the scheme is malformed", []string{"Authorization: Bearer\tabc"}, "", verifier.Source{}, errMalformed, false},
		{"two spaces after the scheme are malformed", []string{"Authorization: Bearer  abc"}, "", verifier.Source{}, errMalformed, false},
		{"a list of tokens is malformed", []string{"Authorization: Bearer a, Bearer b"}, "", verifier.Source{}, errMalformed, false},
		{"a comma after the scheme is malformed", []string{"Authorization: Bearer,abc"}, "", verifier.Source{}, errMalformed, false},
		{"two Authorization headers are malformed", []string{"Authorization: Bearer a", "Authorization: Bearer b"}, "", verifier.Source{}, errMalformed, false},
		{"two Authorization headers of another scheme too", []string{"Authorization: Basic a", "Authorization: Basic b"}, "", verifier.Source{}, errMalformed, false},
		{"the header wins over the cookie", []string{"Authorization: Bearer h", "Cookie: id_token=c"}, "h", bearer, nil, false},
		{"the cookie is used when the header is absent", []string{"Cookie: a=1; id_token=c"}, "c", cookie, nil, false},
		{"the cookie is used next to another scheme", []string{"Authorization: Basic x", "Cookie: id_token=c"}, "c", cookie, nil, false},
		{"an empty cookie is nothing", []string{"Cookie: id_token="}, "", verifier.Source{}, verifier.ErrNoCredential, false},
		{"a cookie twice on one line", []string{"Cookie: id_token=a; id_token=b"}, "", verifier.Source{}, errMalformed, true},
		{"a cookie twice across lines", []string{"Cookie: id_token=a", "Cookie: x=1; id_token=b"}, "", verifier.Source{}, errMalformed, true},
		{"a duplicated cookie refuses a valid header too", []string{"Authorization: Bearer h", "Cookie: id_token=a; id_token=b"}, "", verifier.Source{}, errMalformed, true},
		{"a malformed header refuses a valid cookie too", []string{"Authorization: Bearer\th", "Cookie: id_token=c"}, "", verifier.Source{}, errMalformed, false},
		{"a raw header is taken whole", []string{"X-Api-Token:  t1 "}, "t1", raw, nil, false},
		{"a raw header with a space inside is malformed", []string{"X-Api-Token: t1 t2"}, "", verifier.Source{}, errMalformed, false},
		{"a raw header in an underscore spelling is malformed", []string{"X_Api_Token: t1"}, "", verifier.Source{}, errMalformed, false},
		{"no credential at all", []string{"Accept: */*"}, "", verifier.Source{}, verifier.ErrNoCredential, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &http.Request{Header: http.Header{}}
			for _, line := range tc.headers {
				name, value, _ := strings.Cut(line, ":")
				r.Header[name] = append(r.Header[name], strings.ReplaceAll(strings.TrimPrefix(value, " "), "\\t", "\t"))
			}
			cred, _, err := Extract(r, routes)
			var dup *DuplicateCookieError
			if errors.As(err, &dup) != tc.wantRetry {
				t.Fatalf("duplicate cookie error = %v, want %v (err %v)", !tc.wantRetry, tc.wantRetry, err)
			}
			if !sameClass(err, tc.wantErr) || cred.Value != tc.want || cred.Source != tc.wantSrc {
				t.Fatalf("got (%q, %v, %v), want (%q, %v, %v)", cred.Value, cred.Source, err, tc.want, tc.wantSrc, tc.wantErr)
			}
		})
	}
}

// errMalformed stands for any malformed rejection in test tables.
var errMalformed = verifier.Reject(verifier.ReasonMalformed, nil)

func sameClass(err, want error) bool {
	if want == nil || err == nil {
		return err == want
	}
	if want == errMalformed {
		return verifier.ReasonOf(err) == verifier.ReasonMalformed
	}
	return errors.Is(err, want)
}

func TestKeepOnlyAcceptedStripsTheOtherSources(t *testing.T) {
	routes := []Route{{Source: bearer}, {Source: cookie}, {Source: raw}}
	cases := []struct {
		name        string
		accepted    *verifier.Source
		authz       string
		wantAuthz   string
		wantCookie  string
		wantRawGone bool
	}{
		{"nothing accepted strips every value of ours", nil, "Bearer forged", "", "a=1", true},
		{"another scheme passes untouched", nil, "Basic dXNlcg==", "Basic dXNlcg==", "a=1", true},
		{"the accepted header stays, the rest goes", &bearer, "Bearer ok", "Bearer ok", "a=1", true},
		{"the accepted cookie stays, a forged bearer goes", &cookie, "Bearer forged", "", "a=1; id_token=c", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", tc.authz)
			r.Header.Set("Cookie", "a=1; id_token=c")
			r.Header.Set("X-Api-Token", "t")
			r.Header["X_api_token"] = []string{"t2"}
			KeepOnlyAccepted(r, routes, tc.accepted)
			if got := r.Header.Get("Authorization"); got != tc.wantAuthz {
				t.Errorf("Authorization = %q, want %q", got, tc.wantAuthz)
			}
			if got := r.Header.Get("Cookie"); got != tc.wantCookie {
				t.Errorf("Cookie = %q, want %q", got, tc.wantCookie)
			}
			if _, ok := r.Header["X-Api-Token"]; ok == tc.wantRawGone {
				t.Errorf("X-Api-Token kept = %v", ok)
			}
			if _, ok := r.Header["X_api_token"]; ok {
				t.Errorf("the underscore spelling of a credential header was kept")
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
	removed := RemoveCookies(r, func(name string) bool { return strings.Contains(name, "authgate_login") })
	got := r.Header.Values("Cookie")
	want := []string{`prefs={"a": 1}; legacy=a\b`, "last=1"}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("Cookie lines = %q, want %q", got, want)
	}
	if want := "__Host-authgate_login_ab=sealed; __Host-authgate_login_cd=x; authgate_logins=2"; removed != want {
		t.Errorf("removed = %q, want %q", removed, want)
	}
	if RemoveCookies(r, func(name string) bool { return name == "none" }) != "" || len(r.Header.Values("Cookie")) != 2 {
		t.Errorf("a request without the cookie changed: %q", r.Header.Values("Cookie"))
	}
}

func TestStripCredentialsKeepsOtherCookies(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Authorization", "Bearer x")
	r.Header.Set("Cookie", "a=1; id_token=secret; b=2")
	Strip(r, []Route{{Source: bearer}, {Source: cookie}})
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
	routes := []Route{{Source: bearer}, {Source: cookie}}
	f.Fuzz(func(t *testing.T, authz, cookies string) {
		r := &http.Request{Header: http.Header{"Authorization": {authz}, "Cookie": {cookies}}}
		cred, _, err := Extract(r, routes)
		if err != nil {
			return
		}
		if cred.Value == "" {
			t.Fatalf("an empty credential was returned as present")
		}
		// A header credential is exactly "scheme SP token": the token is
		// the rest of the value, with no space, control byte or comma.
		if cred.Source == bearer && (!isCredentialToken(cred.Value) || !strings.HasSuffix(authz, " "+cred.Value)) {
			t.Fatalf("header credential %q is not the token of %q", cred.Value, authz)
		}
		if cred.Source == cookie && countCookies(r.Header, "id_token") != 1 {
			t.Fatalf("a cookie credential was taken from a duplicated cookie")
		}
	})
}
