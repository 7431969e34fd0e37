package sessionhttp

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// What StripUpstream removes comes back, as sent, at the next handler,
// and only that: the headers the request holds in between add nothing.
func TestStripUpstreamCarriesWhatItRemoves(t *testing.T) {
	e := newEndpoints(t, &fakeSessions{}, nil)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header["Cookie"] = []string{"app=1; sess=ags_a; theme=dark", "sess=ags_b"}
	r.Header["Authorization"] = []string{"Bearer  ags_c"}
	r.Header.Set("X-Forwarded-Authorization", "Bearer ags_d")
	r = e.StripUpstream(r, nil, nil)
	if got := r.Header.Values("Cookie"); !slices.Equal(got, []string{"app=1; theme=dark"}) || r.Header.Get("Authorization") != "" {
		t.Fatalf("left upstream: %v", r.Header)
	}
	next := r.WithContext(r.Context()) // the next handler's request
	next.Header.Set("Cookie2", "sess=ags_e")
	RestoreCarried(next)
	want := http.Header{
		"Cookie":                    {"app=1; theme=dark", "sess=ags_a; sess=ags_b"},
		"Authorization":             {"Bearer  ags_c"},
		"X-Forwarded-Authorization": {"Bearer ags_d"},
		"Cookie2":                   {"sess=ags_e"},
	}
	for name, values := range want {
		if got := next.Header.Values(name); !slices.Equal(got, values) {
			t.Errorf("%s = %q, want %q", name, got, values)
		}
	}
	// Removed again, carried again; a request nothing was removed from
	// carries nothing.
	next = e.StripUpstream(next, nil, nil)
	fresh := httptest.NewRequest("GET", "/", nil)
	if e.StripUpstream(fresh, nil, nil) != fresh {
		t.Error("a request without session credentials got a new context")
	}
	RestoreCarried(fresh)
	if len(fresh.Header) != 0 {
		t.Errorf("restored into a request nothing was removed from: %v", fresh.Header)
	}
	RestoreCarried(next)
	if got := next.Header.Values("Cookie"); len(got) != 2 || got[1] != "sess=ags_a; sess=ags_b" {
		t.Errorf("second carry: %q", got)
	}
}

// A session credential goes on only if it is the one the handler
// accepted, or the handler accepted none and does not read its source.
func TestStripUpstreamCarriesNoUnacceptedSession(t *testing.T) {
	e := newEndpoints(t, &fakeSessions{}, nil)
	cookie := verifier.Source{Kind: verifier.SourceCookie, Name: e.cfg.Cookie.Name}
	jwt := verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}
	readsBoth := []credential.Route{{Source: jwt}, {Source: cookie}}
	for _, c := range []struct {
		name     string
		routes   []credential.Route
		accepted *verifier.Source
		want     bool
	}{
		{"accepted", readsBoth, &cookie, true},
		{"another accepted", readsBoth, &jwt, false},
		{"none accepted", readsBoth, nil, false},
		{"not read, another accepted", []credential.Route{{Source: jwt}}, &jwt, false},
		{"not read, none accepted", []credential.Route{{Source: jwt}}, nil, true},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", e.cfg.Cookie.Name+"=ags_a")
		r = e.StripUpstream(r, c.routes, c.accepted)
		next := r.WithContext(r.Context())
		if got := RestoreCarried(next); got != c.want || (next.Header.Get("Cookie") != "") != c.want {
			t.Errorf("%s: restored %v (%q), want %v", c.name, got, next.Header.Get("Cookie"), c.want)
		}
		if c.want {
			e.Remove(next)
			if next.Header.Get("Cookie") != "" {
				t.Errorf("%s: Remove left %q", c.name, next.Header.Get("Cookie"))
			}
		}
	}
}
