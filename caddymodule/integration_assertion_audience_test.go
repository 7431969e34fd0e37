package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// twoAppSite forwards assertions to two apps that trust the same gateway
// key; each route names its app as the assertion's audience.
const twoAppSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		header X-Auth-User-Id {sub}
		header X-Auth-Assertion assertion
	}
}
http://127.0.0.1:{PORT} {
	handle /a/* {
		authgate {
			assertion_audience https://app-a.example
		}
		reverse_proxy {UPSTREAM}
	}
	handle /b/* {
		authgate {
			assertion_audience {env.AUTHGATE_TEST_APP_B}
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate {
			assertion_audience https://gateway.example
		}
		respond 404
	}
}
`

// TestAssertionsNameTheirApp takes the assertion made for app A and shows
// app B's check (aud must be B) refuses it: without aud, B would accept
// A's assertion, since both trust the gateway's key.
func TestAssertionsNameTheirApp(t *testing.T) {
	t.Setenv("AUTHGATE_TEST_APP_B", "https://app-b.example")
	up := echoUpstream(t)
	g := startGateway(t, strings.ReplaceAll(twoAppSite, "{UPSTREAM}", up.URL))
	tok := g.mint("alice")
	jwks := g.do("GET", "/.authgate/jwks.json")
	wantStatus(t, jwks, http.StatusOK)
	kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwks.body))
	if err != nil {
		t.Fatal(err)
	}
	// appCheck is what an app does with the assertion, as the README says.
	appCheck := func(assertion, aud string) error {
		_, err := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer("authgate"),
			jwt.WithAudience(aud), jwt.WithExpirationRequired()).Parse(assertion, kf.Keyfunc)
		return err
	}
	forA := g.do("GET", "/a/x", "Authorization: Bearer "+tok).upstream.Get("X-Auth-Assertion")
	forB := g.do("GET", "/b/x", "Authorization: Bearer "+tok).upstream.Get("X-Auth-Assertion")
	if forA == "" || forB == "" || forA == forB {
		t.Fatalf("assertions for A %q and B %q: want two different ones", forA, forB)
	}
	if err := appCheck(forA, "https://app-a.example"); err != nil {
		t.Fatalf("app A refuses its own assertion: %v", err)
	}
	if err := appCheck(forB, "https://app-b.example"); err != nil {
		t.Fatalf("app B refuses its own assertion: %v", err)
	}
	if err := appCheck(forA, "https://app-b.example"); err == nil {
		t.Fatal("app B accepts the assertion made for app A")
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(forA, claims); err != nil || claims["aud"] != "https://app-a.example" {
		t.Fatalf("assertion for A carries aud %v (%v)", claims["aud"], err)
	}
}

// TestAssertionAudienceIsRequired: a route that forwards assertions and
// names no audience fails to load, with a message saying what to add.
func TestAssertionAudienceIsRequired(t *testing.T) {
	site := strings.ReplaceAll(twoAppSite, "assertion_audience {env.AUTHGATE_TEST_APP_B}", "")
	site = strings.ReplaceAll(site, "{UPSTREAM}", "127.0.0.1:9")
	site = strings.ReplaceAll(site, "{STORAGE}", t.TempDir())
	site = strings.ReplaceAll(site, "{PORT}", "0")
	wantLoadError(t, adaptCaddyfile(t, site), "assertion_audience is required")
	// An empty environment variable is no audience either.
	t.Setenv("AUTHGATE_TEST_APP_B", "")
	site = strings.ReplaceAll(twoAppSite, "{UPSTREAM}", "127.0.0.1:9")
	site = strings.ReplaceAll(site, "{STORAGE}", t.TempDir())
	site = strings.ReplaceAll(site, "{PORT}", "0")
	wantLoadError(t, adaptCaddyfile(t, site), "assertion_audience is required")
}
