package verifier_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// TestSharedSourceReachesIntrospection puts a JWT router and an
// introspection verifier on one source, as the gateway does for a cookie
// both read: the router keeps what is its own and passes on the rest.
func TestSharedSourceReachesIntrospection(t *testing.T) {
	f := newFixture(t)
	c := newClock()
	svc := newSessionService(t, answer(200, stytchSession("opaque-user", c.Now().Add(time.Hour))))
	chain := verifier.Chain{f.router, newIntrospect(t, stytchConfig(svc.URL, c))}
	rs := f.jwks.Key("RS256")
	cases := []struct {
		name       string
		token      string
		wantSub    string
		wantReason verifier.Reason
		wantCalls  int64
	}{
		{"an opaque token goes to introspection", "sess_3f9a0c", "opaque-user", "", 1},
		{"a JWT of an unknown issuer goes to introspection", rs.Mint(std("https://stranger.example/")), "opaque-user", "", 1},
		{"a JWT of a known issuer stays with the router", rs.Mint(std(corpIss)), "alice", "", 0},
		{"a known issuer's bad signature is the router's verdict", tamper(rs.Mint(std(corpIss)), std(corpIss, "sub", "root")), "", verifier.ReasonBadSignature, 0},
		{"a known issuer's expired token is the router's verdict", rs.Mint(std(corpIss, "exp", unix(testNow.Add(-time.Hour)))), "", verifier.ReasonTokenExpired, 0},
		{"a credential neither can take keeps the router's reason", "has space", "", verifier.ReasonMalformed, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := svc.calls.Load()
			id, err := chain.Verify(context.Background(), cookieCred("session", tc.token))
			checkOutcome(t, id, err, tc.wantSub, tc.wantReason)
			if n := svc.calls.Load() - before; n != tc.wantCalls {
				t.Fatalf("%d introspection calls, want %d", n, tc.wantCalls)
			}
		})
	}
}

func TestRouterAloneKeepsItsReasons(t *testing.T) {
	f := newFixture(t)
	rs := f.jwks.Key("RS256")
	cases := []struct {
		name  string
		token string
		want  verifier.Reason
	}{
		{"an opaque token is malformed", "sess_3f9a0c", verifier.ReasonMalformed},
		{"an unknown issuer is bad_issuer", rs.Mint(std("https://stranger.example/")), verifier.ReasonBadIssuer},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.router.Verify(context.Background(), bearer(tc.token))
			wantReason(t, err, tc.want)
			if !errors.Is(err, verifier.ErrNotResponsible) {
				t.Fatalf("%v must match ErrNotResponsible so a chain can go on", err)
			}
		})
	}
}
