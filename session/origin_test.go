package session

import "testing"

func TestOriginNamesWhatCreatedTheSession(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    Session
		want string
	}{
		{"an oidc login", Session{Verifier: "oidc:corp", Provider: "corp"}, "corp"},
		{"an exchanged token", Session{Verifier: "idpA"}, "idpA"},
		{"the admin API (and records without either field)", Session{}, VerifierName},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Origin(); got != tc.want {
				t.Fatalf("Origin() = %q, want %q", got, tc.want)
			}
		})
	}
}
