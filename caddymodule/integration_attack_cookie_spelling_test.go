package caddymodule

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// cookieSpellings are ways a client can write the cookie name=value that
// some app's cookie parser reads as that cookie: each is a list of header
// lines sent as given.
func cookieSpellings(name, value string) map[string][]string {
	pair := name + "=" + value
	var long strings.Builder
	for i := range 400 {
		fmt.Fprintf(&long, "c%d=%s; ", i, strings.Repeat("v", 12))
	}
	return map[string][]string{
		"alone":                    {"Cookie: " + pair},
		"first":                    {"Cookie: " + pair + "; theme=x"},
		"middle":                   {"Cookie: theme=x; " + pair + "; lang=en"},
		"last":                     {"Cookie: theme=x; " + pair},
		"no space after ;":         {"Cookie: theme=x;" + pair + ";lang=en"},
		"several spaces after ;":   {"Cookie: theme=x;     " + pair + "    ; lang=en"},
		"tabs after ;":             {"Cookie: theme=x;\t\t" + pair + "\t;lang=en"},
		"trailing ;":               {"Cookie: " + pair + ";"},
		"empty pairs":              {"Cookie: ;;" + pair + ";;theme=x;;"},
		"next to a pair without =": {"Cookie: flag; " + pair + "; other"},
		"quoted value":             {"Cookie: theme=x; " + name + `="` + value + `"`},
		"spaces around the name":   {"Cookie: theme=x; " + name + " =" + value, "Cookie: \t" + name + "\t= " + value},
		"after a comma":            {"Cookie: theme=x, " + pair + "; lang=en"},
		"after a comma, no space":  {"Cookie: theme=x," + pair},
		"after a space":            {"Cookie: theme=x " + pair + "; lang=en"},
		"after a tab, quoted":      {"Cookie: theme=\"x\"\t" + pair},
		"RFC 2965 $Version first":  {"Cookie: $Version=1; " + pair + "; $Path=/"},
		"name upper case":          {"Cookie: theme=x; " + strings.ToUpper(name) + "=" + value},
		"name title case":          {"Cookie: " + strings.ToUpper(name[:1]) + name[1:] + "=" + value},
		"PHP spelling":             {"Cookie: " + strings.ReplaceAll(name, "_", ".") + "=" + value},
		"several Cookie lines":     {"Cookie: theme=x", "Cookie: " + pair, "Cookie: lang=en"},
		"header in lower case":     {"cookie: " + pair},
		"header in upper case":     {"COOKIE: theme=x", "COOKIE: " + pair},
		"header in mixed case":     {"CoOkIe: theme=x; " + pair},
		"a very long line":         {"Cookie: " + long.String() + pair + "; " + long.String() + "z=1"},
	}
}

// The session cookie, and the credential cookie of a strip_credentials
// route, never reach the app in any spelling an app's parser might read
// as them: net/http's, a lenient split on ";", "," and whitespace
// (Python's SimpleCookie), PHP's, or a case-insensitive one (ASP.NET).
// The gateway either refuses the request
// or forwards it without them, whether it accepted a Bearer token, the
// cookie itself, or nothing.
func TestCredentialCookieSpellingsNeverReachTheApp(t *testing.T) {
	f := startECGateway(t, "strip_credentials")
	bearer := "Authorization: Bearer " + f.es256.mint(map[string]any{"sub": "alice"})
	sess := sesCookie(t, send(t, f.g.base, "POST", "/.authgate/session", "", bearer))
	idToken := f.es256.mint(map[string]any{"sub": "bob"})
	for _, c := range []struct{ what, name, value string }{
		{"the live session cookie", sess.Name, sess.Value},
		{"a forged session cookie", sess.Name, "forged-session-value"},
		{"a live id_token cookie", "id_token", idToken},
		{"a forged id_token cookie", "id_token", "forged-id-token-value"},
	} {
		for spelling, lines := range cookieSpellings(c.name, c.value) {
			for _, with := range []struct{ what, header string }{{"with a Bearer token", bearer}, {"alone", "Accept: application/json"}} {
				t.Run(c.what+"/"+spelling+"/"+with.what, func(t *testing.T) {
					r := f.g.rawGet("/", append([]string{with.header}, lines...)...)
					if r.status == http.StatusOK && r.upstream == nil {
						t.Fatalf("200 without reaching the app")
					}
					wantNothingUnverified(t, r, c.value)
				})
			}
		}
	}
	t.Run("the app's own cookies pass", func(t *testing.T) {
		r := f.g.rawGet("/", bearer, "Cookie: theme=x; id_tokens=1; "+sess.Name+"X=2")
		wantStatus(t, r, http.StatusOK)
		if got, want := r.upstream.Get("Cookie"), "theme=x; id_tokens=1; "+sess.Name+"X=2"; got != want {
			t.Errorf("Cookie = %q, want %q", got, want)
		}
	})
}
