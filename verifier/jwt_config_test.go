package verifier_test

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

func TestNewJWTVerifierRefusesUnsafeConfig(t *testing.T) {
	ec := verifiertest.NewECKey("e")
	static := verifier.NewStaticKeySource([]crypto.PublicKey{ec.Public()})
	hmac := verifier.NewHMACKeySource([]byte(strings.Repeat("s", 32)))
	valid := verifier.JWTConfig{Name: "corp", Issuer: corpIss, Audiences: []string{"app"}, Algorithms: []string{"ES256"}, Keys: static}
	tests := []struct {
		name    string
		change  func(c *verifier.JWTConfig)
		wantErr string
	}{
		{name: "a valid config is accepted", change: func(*verifier.JWTConfig) {}},
		{name: "a missing name is refused", change: func(c *verifier.JWTConfig) { c.Name = "" }, wantErr: "name is required"},
		{name: "a missing issuer is refused", change: func(c *verifier.JWTConfig) { c.Issuer = "" }, wantErr: "issuer is required"},
		{name: "a missing audience is refused", change: func(c *verifier.JWTConfig) { c.Audiences = nil }, wantErr: "audience is required"},
		{name: "any audience without audiences is accepted", change: func(c *verifier.JWTConfig) { c.Audiences, c.AnyAudience = nil, true }},
		{name: "any audience with audiences is refused", change: func(c *verifier.JWTConfig) { c.AnyAudience = true }, wantErr: "mutually exclusive"},
		{name: "a missing key source is refused", change: func(c *verifier.JWTConfig) { c.Keys = nil }, wantErr: "key source is required"},
		{name: "an empty algorithm list is refused", change: func(c *verifier.JWTConfig) { c.Algorithms = nil }, wantErr: "at least one"},
		{name: "alg none is refused", change: func(c *verifier.JWTConfig) { c.Algorithms = []string{"ES256", "none"} }, wantErr: `"none" is never allowed`},
		{name: "an unknown algorithm is refused", change: func(c *verifier.JWTConfig) { c.Algorithms = []string{"ES256K"} }, wantErr: "not supported"},
		{name: "HS256 with public keys is refused", change: func(c *verifier.JWTConfig) { c.Algorithms = []string{"HS256"} }, wantErr: "need an HMAC secret"},
		{name: "HMAC and public-key algorithms are not mixed", change: func(c *verifier.JWTConfig) { c.Algorithms, c.Keys = []string{"HS256", "ES256"}, hmac }, wantErr: "must not be mixed"},
		{name: "an HMAC secret with RS256 is refused", change: func(c *verifier.JWTConfig) { c.Algorithms, c.Keys = []string{"RS256"}, hmac }, wantErr: "needs HS* algorithms"},
		{name: "an HMAC secret shorter than the hash is refused", change: func(c *verifier.JWTConfig) { c.Algorithms, c.Keys = []string{"HS512"}, hmac }, wantErr: "at least 64 bytes"},
		{name: "an empty HMAC secret is refused", change: func(c *verifier.JWTConfig) { c.Algorithms, c.Keys = []string{"HS256"}, verifier.NewHMACKeySource(nil) }, wantErr: "at least 32 bytes"},
		{name: "an algorithm no static key can verify is refused", change: func(c *verifier.JWTConfig) { c.Algorithms = []string{"RS256"} }, wantErr: "no configured key can verify RS256"},
		{name: "the assertion type is refused as an accepted type", change: func(c *verifier.JWTConfig) { c.Types = []string{"JWT", "Authgate-Assertion+JWT"} }, wantErr: "reserved"},
		{name: "a subject template without {sub} is refused", change: func(c *verifier.JWTConfig) { c.SubjectTemplate = "admin" }, wantErr: "must contain {sub}"},
		{name: "a negative leeway is refused", change: func(c *verifier.JWTConfig) { c.Leeway = -time.Second }, wantErr: "must not be negative"},
		{name: "negative claim limits are refused", change: func(c *verifier.JWTConfig) { c.MaxDepth = -1 }, wantErr: "must be positive"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := valid
			tc.change(&cfg)
			_, err := verifier.NewJWTVerifier(cfg)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("got %v, want success", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
}

func TestNewJWTRouterRefusesDuplicateIssuers(t *testing.T) {
	keys := verifier.NewStaticKeySource([]crypto.PublicKey{verifiertest.NewEdKey("d").Public()})
	cfg := verifier.JWTConfig{Name: "a", Issuer: corpIss, AnyAudience: true, Algorithms: []string{"EdDSA"}, Keys: keys}
	a := newJWT(t, cfg)
	cfg.Name = "b"
	b := newJWT(t, cfg)
	if _, err := verifier.NewJWTRouter([]*verifier.JWTVerifier{a, b}, verifier.RouterOptions{}); err == nil || !strings.Contains(err.Error(), "both use issuer") {
		t.Fatalf("got %v, want a duplicate-issuer error", err)
	}
	if _, err := verifier.NewJWTRouter(nil, verifier.RouterOptions{}); err == nil {
		t.Fatal("want an error for no verifiers")
	}
}

func TestRouterMaxTokenBytesIsConfigurable(t *testing.T) {
	k := verifiertest.NewEdKey("d")
	v := newJWT(t, verifier.JWTConfig{Name: "a", Issuer: corpIss, AnyAudience: true, Algorithms: []string{"EdDSA"},
		Keys: verifier.NewStaticKeySource([]crypto.PublicKey{k.Public()})})
	r, err := verifier.NewJWTRouter([]*verifier.JWTVerifier{v}, verifier.RouterOptions{MaxTokenBytes: 100})
	if err != nil {
		t.Fatal(err)
	}
	wantReason(t, verifyWith(t, r, k.Mint(std(corpIss))), verifier.ReasonTooLarge)
}

func TestJWTVerifierIsNotResponsibleForOtherIssuers(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		token string
	}{
		{name: "a token of another issuer", token: f.partnerKey.Mint(std(partnerIss))},
		{name: "a token without iss", token: f.partnerKey.Mint(std(partnerIss, "iss", nil))},
		{name: "an HS256 token of another issuer (alg outside this verifier's list)", token: verifiertest.Sign("HS256", f.secret, map[string]any{"alg": "HS256"}, std(internalIss))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := verifyWith(t, f.corp, tc.token); !errors.Is(err, verifier.ErrNotResponsible) {
				t.Fatalf("got %v, want ErrNotResponsible", err)
			}
		})
	}
	wantReason(t, verifyWith(t, f.corp, verifiertest.Sign("HS256", f.secret, map[string]any{"alg": "HS256"}, std(corpIss))), verifier.ReasonAlgNotAllowed)
}

func TestIdentityCarriesTheVerifiedClaims(t *testing.T) {
	k := verifiertest.NewEdKey("d")
	v := newJWT(t, verifier.JWTConfig{Name: "files", Issuer: corpIss, Audiences: []string{"app"}, Algorithms: []string{"EdDSA"},
		MaxAge: 10 * time.Minute, SubjectTemplate: "user:{sub}/{x}", Keys: verifier.NewStaticKeySource([]crypto.PublicKey{k.Public()})})
	iat := testNow.Add(-time.Minute)
	id, err := v.Verify(t.Context(), bearer(k.Mint(std(corpIss, "sub", "b{sub}", "aud", []any{"app", "b"}, "n", 3, "roles", []any{"a"}))))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"the subject template substitutes {sub} in one pass and keeps the rest literal", id.Subject, "user:b{sub}/{x}"},
		{"the verifier name is recorded", id.Verifier, "files"},
		{"the issuer is recorded", id.Issuer, corpIss},
		{"all audiences are recorded", strings.Join(id.Audience, ","), "app,b"},
		{"jti becomes the token id", id.TokenID, "token-1"},
		{"iat becomes IssuedAt", id.IssuedAt, iat},
		{"exp becomes ExpiresAt", id.ExpiresAt, testNow.Add(time.Hour)},
		{"ValidUntil is iat plus max age when that is earlier", id.ValidUntil, iat.Add(10 * time.Minute)},
		{"numbers are exact, as json.Number", id.Claims["n"], json.Number("3")},
		{"claims hold the raw sub", id.Claims["sub"], "b{sub}"},
		{"JWT claim times are not trusted", id.ClaimTimesTrusted, false},
	}
	for _, c := range checks {
		if !equal(c.got, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
}

func equal(a, b any) bool {
	if ta, ok := a.(time.Time); ok {
		return ta.Equal(b.(time.Time))
	}
	return a == b
}

// failingKeys is a KeySource whose keyfunc fails with an untyped error.
type failingKeys struct{}

func (failingKeys) KeyfuncCtx(context.Context) jwt.Keyfunc {
	return func(*jwt.Token) (any, error) { return nil, errors.New("disk on fire") }
}

func TestAnUntypedKeySourceErrorFailsClosedAsUnavailable(t *testing.T) {
	v := newJWT(t, verifier.JWTConfig{Name: "x", Issuer: corpIss, AnyAudience: true, Algorithms: []string{"EdDSA"}, Keys: failingKeys{}})
	wantReason(t, verifyWith(t, v, verifiertest.NewEdKey("d").Mint(std(corpIss))), verifier.ReasonKeysUnavailable)
}

func TestVerifierKeepsItsOwnCopyOfTheAlgorithmList(t *testing.T) {
	k := verifiertest.NewEdKey("d")
	algs := []string{"EdDSA"}
	v := newJWT(t, verifier.JWTConfig{Name: "x", Issuer: corpIss, AnyAudience: true, Algorithms: algs,
		Keys: verifier.NewStaticKeySource([]crypto.PublicKey{k.Public()})})
	algs[0] = "RS256"
	if err := verifyWith(t, v, k.Mint(std(corpIss))); err != nil {
		t.Fatal(err)
	}
}
