package session_test

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/authgate/authgate/session"
)

func TestAMRFromTakesListsAndSingleMethods(t *testing.T) {
	many := make([]any, 40)
	for i := range many {
		many[i] = string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	tests := []struct {
		name string
		amr  any
		want []string
	}{
		{"a list of methods", []any{"pwd", "otp"}, []string{"pwd", "otp"}},
		{"one method as a string", "hwk", []string{"hwk"}},
		{"non-strings, empties and repeats are skipped", []any{"pwd", 3.0, "", "pwd", nil, "mfa"}, []string{"pwd", "mfa"}},
		{"no claim", nil, nil},
		{"an object", map[string]any{"m": "pwd"}, nil},
		{"a long list is cut", many, func() []string {
			var out []string
			for _, m := range many[:16] {
				out = append(out, m.(string))
			}
			return out
		}()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			claims := map[string]any{}
			if tc.amr != nil {
				claims["amr"] = tc.amr
			}
			if got := session.AMRFrom(claims); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("AMRFrom = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCreateRecordsTheFirstFactor(t *testing.T) {
	c := newClock()
	m := newManager(t, newMapStore(), c, session.Config{})
	ctx := context.Background()
	tests := []struct {
		name string
		ns   session.NewSession
		want []session.Factor
	}{
		{"an exchanged token", session.NewSession{UserID: "u", Verifier: "idp", AMR: []string{"pwd", "otp"}},
			[]session.Factor{{Verifier: "idp", AMR: []string{"pwd", "otp"}, At: c.now}}},
		{"an OIDC login is its provider's", session.NewSession{UserID: "u", Verifier: "oidc:corp", Provider: "corp"},
			[]session.Factor{{Verifier: "corp", At: c.now}}},
		{"an admin-made session has none", session.NewSession{UserID: "u"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, s, err := m.Create(ctx, tc.ns)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Factors, tc.want) || !reflect.DeepEqual(s.AuthFactors(), tc.want) {
				t.Errorf("factors %+v, want %+v", s.Factors, tc.want)
			}
		})
	}
}

func TestAppendAMRJoinsFactorsOnce(t *testing.T) {
	s := &session.Session{Factors: []session.Factor{
		{Verifier: "idp", AMR: []string{"pwd", "otp"}},
		{Verifier: "hw", AMR: []string{"hwk", "otp"}},
	}}
	if got := s.AppendAMR([]string{"x"}); !reflect.DeepEqual(got, []string{"x", "pwd", "otp", "hwk"}) {
		t.Errorf("AppendAMR = %q", got)
	}
}

// An identity carries its session record, which holds the login's ID
// token: encoding the identity must never show it.
func TestSessionIdentityNeverEncodesItsRecord(t *testing.T) {
	m := newManager(t, newMapStore(), newClock(), session.Config{})
	_, s, err := m.Create(context.Background(), session.NewSession{UserID: "u", Provider: "corp", IDToken: "id.token.secret"})
	if err != nil {
		t.Fatal(err)
	}
	id := m.Identity(s)
	if id.Session == nil || id.Session.Origin() != "corp" {
		t.Fatalf("identity session facts %v, want the session's", id.Session)
	}
	b, err := json.Marshal(id)
	if err != nil || strings.Contains(string(b), "secret") || strings.Contains(string(b), s.TokenHash.String()) {
		t.Fatalf("encoded identity %s (%v) shows the record", b, err)
	}
}
