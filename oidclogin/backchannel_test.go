package oidclogin

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestOIDCProviderForPicksTheClientInTheAudience(t *testing.T) {
	x := &Provider{cfg: Config{Issuer: "https://idp.example", Name: "x", ClientID: "app-x"}}
	y := &Provider{cfg: Config{Issuer: "https://idp.example/", Name: "y", ClientID: "app-y"}}
	a := &Set{byName: map[string]*Provider{"x": x, "y": y}}
	for _, tc := range []struct {
		name   string
		claims *jwt.RegisteredClaims
		want   *Provider
	}{
		{"the client in the audience is picked", &jwt.RegisteredClaims{Issuer: "https://idp.example", Audience: jwt.ClaimStrings{"app-x"}}, x},
		{"a trailing slash on the token's issuer is tolerated", &jwt.RegisteredClaims{Issuer: "https://idp.example/", Audience: jwt.ClaimStrings{"app-x"}}, x},
		{"a trailing slash on the configured issuer is tolerated", &jwt.RegisteredClaims{Issuer: "https://idp.example", Audience: jwt.ClaimStrings{"app-y"}}, y},
		{"one of several audiences is enough", &jwt.RegisteredClaims{Issuer: "https://idp.example", Audience: jwt.ClaimStrings{"other", "app-y"}}, y},
		{"an unknown audience picks none", &jwt.RegisteredClaims{Issuer: "https://idp.example", Audience: jwt.ClaimStrings{"app-z"}}, nil},
		{"another issuer picks none", &jwt.RegisteredClaims{Issuer: "https://other.example", Audience: jwt.ClaimStrings{"app-x"}}, nil},
		{"no issuer picks none", &jwt.RegisteredClaims{Audience: jwt.ClaimStrings{"app-x"}}, nil},
		{"no claims pick none", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 20 { // map order varies: a pick by luck shows up
				if got := a.providerFor(tc.claims); got != tc.want {
					t.Fatalf("picked %s, want %s", providerName(got), providerName(tc.want))
				}
			}
		})
	}
}

// providerName names p for messages.
func providerName(p *Provider) string {
	if p == nil {
		return "none"
	}
	return p.cfg.Name
}
