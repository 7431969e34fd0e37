package caddymodule

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
)

// redactSite configures every kind of outbound URL with credentials in its
// userinfo and query, all pointing at a port where nothing listens.
const redactSite = `{
	admin off
	storage file_system {STORAGE}
	{LOG}
	authgate {
		dev
		jwt down {
			issuer https://down.example
			audience any
			jwks_url http://jwks:SECRET-jwks-pass@127.0.0.1:{DOWN}/jwks?key=SECRET-jwks
			from header X-Down-Token
			same_subjects dev remote corp
		}
		introspect remote {
			url http://svc:SECRET-intro-pass@127.0.0.1:{DOWN}/introspect?api_key=SECRET-intro
			from header X-Session-Token
			same_subjects dev down corp
		}
		claim roles {
			fetch http://cs:SECRET-claim-pass@127.0.0.1:{DOWN}/users/{sub}/roles?api_key=SECRET-claim
			max_age 0
		}
		oidc corp {
			issuer http://idp:SECRET-oidc-pass@127.0.0.1:{DOWN}/realm?k=SECRET-oidc
			callback_url http://127.0.0.1:{PORT}/.authgate/callback
			client_id gateway
			client_secret gw-secret
			same_subjects dev down remote
		}
		session {
			store bolt {STORAGE}/sessions.db
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /roles/* {
		authgate {
			require roles includes admin
		}
		respond "ok"
	}
	handle /login/* {
		authgate {
			login oidc corp
		}
		respond "ok"
	}
	handle {
		authgate
		respond "ok"
	}
}
`

// TestSecretsInConfiguredURLsNeverReachLogsOrResponses makes every outbound
// call fail (introspection, JWKS, claim source, OIDC discovery) against
// URLs that carry user:password@ and an API key in the query: the 503s and
// every line Caddy logs name the endpoints without either.
func TestSecretsInConfiguredURLsNeverReachLogsOrResponses(t *testing.T) {
	logs := newCaddyLog(t)
	cf := strings.NewReplacer("{LOG}", logs.option(), "{DOWN}", fmt.Sprint(freePort(t))).Replace(redactSite)
	g := startGateway(t, cf)

	downJWT := unsignedJWT(`{"alg":"RS256","kid":"k1","typ":"JWT"}`,
		fmt.Sprintf(`{"iss":"https://down.example","sub":"x","exp":%d}`, time.Now().Add(time.Hour).Unix()))
	responses := []response{
		g.do("GET", "/x", "X-Session-Token: opaque-session-token-1"),
		g.do("GET", "/x", "X-Down-Token: "+downJWT),
		g.do("GET", "/roles/x", "Authorization: Bearer "+g.mint("alice")),
		g.do("GET", "/login/x", "Accept: text/html"),
	}
	for i, reason := range []string{"introspection_unavailable", "keys_unavailable", "claim_source_unavailable"} {
		wantReason(t, responses[i], 503, reason)
	}
	wantStatus(t, responses[3], 503)
	for i, r := range responses {
		if strings.Contains(r.body, "SECRET") || strings.Contains(fmt.Sprint(r.header), "SECRET") {
			t.Errorf("response %d carries a secret: %v %s", i, r.header, r.body)
		}
	}
	for _, want := range []string{`"reason":"introspection_unavailable"`, `"reason":"keys_unavailable"`,
		`"reason":"claim_source_unavailable"`, `"msg":"oidc discovery failed"`} {
		sesWaitFor(t, 5*time.Second, "a log line with "+want, func() bool { return len(logs.lines(want)) > 0 })
	}
	if lines := logs.lines("SECRET"); len(lines) > 0 {
		t.Fatalf("%d log lines carry a secret, first: %s", len(lines), lines[0])
	}
	for _, want := range []string{"/introspect?REDACTED", "/jwks?REDACTED", "/realm?REDACTED"} {
		if len(logs.lines(want)) == 0 {
			t.Errorf("no log line names the endpoint %s", want)
		}
	}
}

// unsignedJWT builds a compact JWT with a junk signature.
func unsignedJWT(header, payload string) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(header)) + "." + enc([]byte(payload)) + "." + enc([]byte("not-a-signature"))
}
