package config

import (
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

func TestAppSetDefaultsFillsOnlyWhatIsUnset(t *testing.T) {
	a := &App{MaxClaims: 7, EndpointPrefix: "/auth", OIDC: []*OIDCConfig{{Name: "corp"}}}
	a.SetDefaults()
	if a.MaxClaims != 7 || a.MaxTokenBytes != 8<<10 || a.CacheBytes != 64<<20 || a.MaxClaimDepth != 16 {
		t.Errorf("limits = %d %d %d %d", a.MaxClaims, a.MaxTokenBytes, a.CacheBytes, a.MaxClaimDepth)
	}
	if a.EndpointPrefix != "/auth/" {
		t.Errorf("endpoint prefix = %q, want a trailing slash added", a.EndpointPrefix)
	}
	if a.RolesClaim != "roles" || a.AssertionIssuer != "authgate" || time.Duration(a.AssertionTTL) != time.Minute {
		t.Errorf("roles claim %q, assertion issuer %q, ttl %v", a.RolesClaim, a.AssertionIssuer, time.Duration(a.AssertionTTL))
	}
	if len(a.Headers) == 0 {
		t.Error("no default headers")
	}
	if a.Session == nil {
		t.Error("an oidc block must default an edge session: logins end in one")
	}
}

func TestSessionSetDefaultsChecksTheCookie(t *testing.T) {
	cases := []struct {
		name       string
		in         SessionConfig
		wantCookie string
		wantErr    string
	}{
		{name: "the default name is __Host-", wantCookie: "__Host-authgate_session"},
		{name: "insecure_cookie drops the prefix", in: SessionConfig{InsecureCookie: true}, wantCookie: "authgate_session"},
		{name: "a __Host- name needs Secure", in: SessionConfig{InsecureCookie: true, Cookie: "__Host-x"}, wantErr: "need Secure"},
		{name: "a name with a separator is refused", in: SessionConfig{Cookie: "a;b"}, wantErr: "is not valid"},
		{name: "a negative cap is refused", in: SessionConfig{MaxSessionsPerUser: -1}, wantErr: "must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := tc.in
			err := sc.SetDefaults()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if sc.Cookie != tc.wantCookie || sc.Store == nil || sc.Store.Type != "bolt" || sc.ExchangeMaxAge != caddy.Duration(5*time.Minute) {
				t.Fatalf("got cookie %q, store %+v, exchange max age %v", sc.Cookie, sc.Store, sc.ExchangeMaxAge)
			}
		})
	}
}

func TestOIDCSetDefaultsAddsOpenIDAndLimits(t *testing.T) {
	oc := &OIDCConfig{Name: "corp", Issuer: "https://idp.example", ClientID: "app", Scopes: []string{"email"}}
	if err := oc.SetDefaults(); err != nil {
		t.Fatal(err)
	}
	if oc.Scopes[0] != "openid" || oc.SubjectTemplate != "{sub}" || oc.LoginLimit == nil || oc.FailureLimit == nil {
		t.Fatalf("got %+v", oc)
	}
	bad := &OIDCConfig{Name: "corp", Issuer: "https://idp.example", ClientID: "app", SubjectTemplate: "user"}
	if err := bad.SetDefaults(); err == nil || !strings.Contains(err.Error(), "must contain {sub}") {
		t.Fatalf("err = %v, want the {sub} refusal", err)
	}
}
