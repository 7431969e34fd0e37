package caddymodule

import (
	"context"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/oidclogin"
)

// testLoginSet returns a set of oidc providers with the given names, whose
// discovery fails at once (they have no issuer).
func testLoginSet(t *testing.T, names ...string) *oidclogin.Set {
	t.Helper()
	set := oidclogin.NewSet(oidclogin.Options{}, oidclogin.Deps{Log: newKVLogger(zap.NewNop())})
	t.Cleanup(func() { _ = set.Close() })
	limit := oidclogin.Limit{Events: 1, Window: time.Minute}
	for _, n := range names {
		if _, err := set.Add(context.Background(), oidclogin.Config{Name: n, LoginLimit: limit, FailureLimit: limit}); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

func TestRouteVerifiersNameSessionOrigins(t *testing.T) {
	app := &App{
		verifiers: map[string]*verifierEntry{"idpA": {}, "idpB": {}, "session": {}},
		order:     []string{"idpA", "idpB", "session"},
		oidc:      testLoginSet(t, "corp"),
	}
	for _, tc := range []struct {
		name        string
		verifiers   []string
		login       string
		wantNames   string
		wantOrigins string // "*": every session
		wantErr     string
	}{
		{name: "no list reads every verifier and every session", wantNames: "idpA,idpB,session", wantOrigins: "*"},
		{name: "session alone accepts every session", verifiers: []string{"session"}, wantNames: "session", wantOrigins: "*"},
		{name: "session alone stays every session with a login", verifiers: []string{"session"}, login: "corp", wantNames: "session", wantOrigins: "*"},
		{name: "a verifier and session accept that verifier's sessions and admin-made ones",
			verifiers: []string{"idpA", "session"}, wantNames: "idpA,session", wantOrigins: "idpA,session"},
		{name: "login oidc adds its block, which reads the session cookie",
			verifiers: []string{"idpA"}, login: "corp", wantNames: "idpA,session", wantOrigins: "corp,idpA"},
		{name: "an oidc block named in the list reads its logins' sessions",
			verifiers: []string{"corp"}, wantNames: "session", wantOrigins: "corp"},
		{name: "the written order is kept", verifiers: []string{"idpB", "idpA", "idpB"}, wantNames: "idpB,idpA", wantOrigins: "idpA,idpB"},
		{name: "an unknown name is refused", verifiers: []string{"nope"}, wantErr: `unknown verifier "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Handler: config.Handler{Verifiers: tc.verifiers, LoginOIDC: tc.login}}
			names, origins, err := h.routeVerifiers(app)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			gotOrigins := "*"
			if origins != nil {
				gotOrigins = strings.Join(slices.Sorted(maps.Keys(origins)), ",")
			}
			if got := strings.Join(names, ","); got != tc.wantNames || gotOrigins != tc.wantOrigins {
				t.Fatalf("names %s origins %s, want %s and %s", got, gotOrigins, tc.wantNames, tc.wantOrigins)
			}
		})
	}
}
