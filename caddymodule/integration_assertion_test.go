package caddymodule

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// assertionSite forwards a signed assertion and also (wrongly, on purpose)
// trusts the gateway's own key set as an identity provider, to prove that an
// assertion can never be replayed to the gateway as a credential.
const assertionSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		dev
		jwt self {
			issuer authgate
			audience any
			jwks_url http://127.0.0.1:{PORT}/.authgate/jwks.json
			types JWT
			same_subjects dev
		}
		header X-Auth-User-Id {sub}
		header X-Auth-Email {claims.email}
		header X-Auth-Assertion assertion
	}
}
http://127.0.0.1:{PORT} {
	authgate {
		assertion_audience https://app.example
	}
	reverse_proxy {UPSTREAM}
}
`

func TestAssertionIsSignedByThePublishedKeyAndNeverAccepted(t *testing.T) {
	up := echoUpstream(t)
	g := startGateway(t, strings.ReplaceAll(assertionSite, "{UPSTREAM}", up.URL))
	tok := g.mint("alice", "email=alice@example.com", "secret=not-forwarded")
	r := g.do("GET", "/", "Authorization: Bearer "+tok, "X-Auth-Assertion: forged")
	wantStatus(t, r, http.StatusOK)
	assertion := r.upstream.Get("X-Auth-Assertion")
	if assertion == "" || assertion == "forged" {
		t.Fatalf("X-Auth-Assertion = %q", assertion)
	}

	jwks := g.do("GET", "/.authgate/jwks.json")
	wantStatus(t, jwks, http.StatusOK)
	if strings.Contains(jwks.body, `"d"`) {
		t.Fatalf("the JWKS publishes private key material: %s", jwks.body)
	}
	kf, err := keyfunc.NewJWKSetJSON(json.RawMessage(jwks.body))
	if err != nil {
		t.Fatalf("parsing published JWKS: %v", err)
	}
	claims := jwt.MapClaims{}
	parsed, err := jwt.NewParser(jwt.WithValidMethods([]string{"ES256"}), jwt.WithIssuer("authgate"), jwt.WithExpirationRequired()).
		ParseWithClaims(assertion, claims, kf.Keyfunc)
	if err != nil {
		t.Fatalf("assertion does not verify with the published key: %v", err)
	}
	if parsed.Header["typ"] != "authgate-assertion+jwt" || claims["sub"] != "alice" || claims["email"] != "alice@example.com" {
		t.Fatalf("assertion header %v claims %v", parsed.Header, claims)
	}
	if _, leaked := claims["secret"]; leaked {
		t.Errorf("the assertion carries a claim no header forwards")
	}

	replay := g.do("GET", "/", "Authorization: Bearer "+assertion)
	wantReason(t, replay, http.StatusUnauthorized, "bad_type")
}
