package sessionhttp

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

// What StripUpstream removes comes back, as sent, at the next handler,
// and only that: the headers the request holds in between add nothing.
func TestStripUpstreamCarriesWhatItRemoves(t *testing.T) {
	e := newEndpoints(t, &fakeSessions{}, nil)
	r := httptest.NewRequest("GET", "/", nil)
	r.Header["Cookie"] = []string{"app=1; sess=ags_a; theme=dark", "sess=ags_b"}
	r.Header["Authorization"] = []string{"Bearer  ags_c"}
	r.Header.Set("X-Forwarded-Authorization", "Bearer ags_d")
	r = e.StripUpstream(r)
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
	next = e.StripUpstream(next)
	fresh := httptest.NewRequest("GET", "/", nil)
	if e.StripUpstream(fresh) != fresh {
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
