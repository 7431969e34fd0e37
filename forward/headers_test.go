package forward

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/authgate/authgate/verifier"
)

func mustHeaders(t *testing.T, cfgs []Spec) []Mapping {
	t.Helper()
	m, err := Compile(cfgs)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return m
}

func TestStripInboundRemovesEveryIdentitySpelling(t *testing.T) {
	hp := NewHeaderPolicy(mustHeaders(t, []Spec{{Name: "X-Legacy-User", Value: "{sub}"}}), []string{"X-Auth-Token"})
	cases := []struct {
		name     string
		in       http.Header
		wantKept []string
	}{
		{"canonical X-Auth headers go", http.Header{"X-Auth-User-Id": {"m"}, "X-Auth-Whatever": {"m"}}, nil},
		{"underscore spellings go", http.Header{"X_auth_user_id": {"m"}, "X_Legacy_User": {"m"}}, nil},
		{"mapped headers outside X-Auth go", http.Header{"X-Legacy-User": {"m"}}, nil},
		{"the credential header is spared", http.Header{"X-Auth-Token": {"tok"}}, []string{"X-Auth-Token"}},
		{"but not its underscore twin", http.Header{"X_auth_token": {"forged"}}, nil},
		{"unrelated headers stay", http.Header{"Accept": {"*/*"}, "X-Authorization-Hint": {"x"}}, []string{"Accept", "X-Authorization-Hint"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hp.StripInbound(tc.in)
			var kept []string
			for k := range tc.in {
				kept = append(kept, k)
			}
			if len(kept) != len(tc.wantKept) {
				t.Fatalf("kept %v, want %v", kept, tc.wantKept)
			}
			for _, k := range tc.wantKept {
				if _, ok := tc.in[k]; !ok {
					t.Fatalf("kept %v, want %v", kept, tc.wantKept)
				}
			}
		})
	}
}

func TestStripInboundDropsIdentityNamesFromConnection(t *testing.T) {
	hp := NewHeaderPolicy(mustHeaders(t, Defaults()), nil)
	h := http.Header{"Connection": {"keep-alive, X-Auth-User-Id", "x_auth_email"}}
	hp.StripInbound(h)
	if got := h["Connection"]; !reflect.DeepEqual(got, []string{"keep-alive"}) {
		t.Fatalf("Connection = %q, want [keep-alive]", got)
	}
	h = http.Header{"Connection": {"X-Auth-Roles"}}
	hp.StripInbound(h)
	if _, ok := h["Connection"]; ok {
		t.Fatalf("an all-identity Connection header should be deleted, got %q", h["Connection"])
	}
}

func TestApplyHeadersRendersTemplates(t *testing.T) {
	id := &verifier.Identity{
		Subject:   "user:alice",
		SessionID: "s1",
		Claims: map[string]any{
			"email":  "a@example.com",
			"roles":  []any{"admin", "a,b", "x\r\nInjected: 1"},
			"groups": []any{"g1"},
			"nested": map[string]any{"level": 3.0},
			"st":     map[string]any{"v": "wrapped", "t": 1.7e12},
			"evil":   "line\r\nX-Injected: 1",
			"del":    []any{"a\x7fb"},
		},
	}
	cases := []struct {
		cfg  Spec
		want string
	}{
		{Spec{Name: "X-User", Value: "{sub}"}, "user:alice"},
		{Spec{Name: "X-Session", Value: "{session.id}"}, "s1"},
		{Spec{Name: "X-Roles", Value: "{claims.roles}"}, "admin,a%2Cb,x%0D%0AInjected: 1"},
		{Spec{Name: "X-Groups", Value: "{claims.groups}", JSON: true}, `["g1"]`},
		{Spec{Name: "X-Level", Value: "level={claims.nested.level}"}, "level=3"},
		{Spec{Name: "X-Wrapped", Value: "{claims.st}"}, "wrapped"},
		{Spec{Name: "X-Evil", Value: "{claims.evil}"}, "line%0D%0AX-Injected: 1"},
		{Spec{Name: "X-Missing", Value: "{claims.nope}"}, ""},
		{Spec{Name: "X-Del", Value: "{claims.del}", JSON: true}, `["a\u007fb"]`},
		{Spec{Name: "X-Del-Plain", Value: "{claims.del}"}, "a%7Fb"},
	}
	for _, tc := range cases {
		t.Run(tc.cfg.Name, func(t *testing.T) {
			h := http.Header{}
			Apply(h, mustHeaders(t, []Spec{tc.cfg}), id, "")
			if got := h.Get(tc.cfg.Name); got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.cfg.Name, got, tc.want)
			}
		})
	}
}

func TestCompileHeadersRefusesBadTemplates(t *testing.T) {
	for _, cfg := range []Spec{
		{Name: "X-A", Value: "{claim.email}"},
		{Name: "X-A", Value: "{sub"},
		{Name: "X-A", Value: "{http.request.host}"},
		{Name: "Bad Name", Value: "{sub}"},
		{Name: "X-A", Value: "a {sub} b", JSON: true},
		{Name: "X-Auth-Claim-Errors", Value: "{claims.x}"}, // reserved for pass mode
		{Name: "x_auth_claim_errors", Value: "{sub}"},
	} {
		if _, err := Compile([]Spec{cfg}); err == nil {
			t.Errorf("Compile(%+v) succeeded, want an error", cfg)
		}
	}
}

// X-Auth-Claim-Errors tells the upstream which validators in pass mode
// failed: a client's own, in any spelling, is an identity header.
func TestClaimErrorsIsAnIdentityHeader(t *testing.T) {
	hp := NewHeaderPolicy(nil, nil)
	for _, name := range []string{ClaimErrorsHeader, "x-auth-claim-errors", "X_AUTH_CLAIM_ERRORS", "X.Auth.Claim.Errors"} {
		if !hp.IsIdentity(name) {
			t.Errorf("%s is not an identity header", name)
		}
	}
}
