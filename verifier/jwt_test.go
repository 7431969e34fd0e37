package verifier_test

import (
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// TestRouterVerify is the catalogue of tokens the gateway meets, good and
// hostile, and the outcome each must have (RFC 8725 and the gateway's JWT
// rules: issuer and audience required, typ allow-list, jku/x5u/jwk/x5c
// ignored, unknown crit refused).
func TestRouterVerify(t *testing.T) {
	f := newFixture(t)
	rs := f.jwks.Key("RS256")
	es := f.jwks.Key("ES256")
	ed := f.jwks.Key("EdDSA")
	pk := f.partnerKey
	hs := func(header, claims map[string]any) string {
		return verifiertest.Sign("HS256", f.secret, header, claims)
	}
	jwtHS := map[string]any{"alg": "HS256", "typ": "JWT"}
	tests := []struct {
		name        string
		token       string
		wantSubject string
		wantReason  verifier.Reason
	}{
		{name: "an RS256 token from the JWKS verifies", token: rs.Mint(std(corpIss)), wantSubject: "alice"},
		{name: "an ES256 token from the JWKS verifies", token: es.Mint(std(corpIss)), wantSubject: "alice"},
		{name: "an EdDSA token from the JWKS verifies", token: ed.Mint(std(corpIss)), wantSubject: "alice"},
		{name: "a token without kid verifies with the JWKS key fitting its algorithm", token: es.MintHeader(map[string]any{"kid": nil}, std(corpIss)), wantSubject: "alice"},
		{name: "a static-key issuer applies its subject template", token: pk.Mint(std(partnerIss)), wantSubject: "partner:alice"},
		{name: "an HS256 token of the HMAC issuer verifies", token: hs(jwtHS, std(internalIss)), wantSubject: "alice"},

		{name: "an expired token is refused", token: rs.Mint(std(corpIss, "exp", unix(testNow.Add(-time.Minute)))), wantReason: verifier.ReasonTokenExpired},
		{name: "a token expired less than the leeway ago passes", token: rs.Mint(std(corpIss, "exp", unix(testNow.Add(-20*time.Second)))), wantSubject: "alice"},
		{name: "a token not valid before a future nbf is refused", token: rs.Mint(std(corpIss, "nbf", unix(testNow.Add(time.Minute)))), wantReason: verifier.ReasonNotYetValid},
		{name: "an nbf within the leeway passes", token: rs.Mint(std(corpIss, "nbf", unix(testNow.Add(20*time.Second)))), wantSubject: "alice"},
		{name: "a token issued in the future is not yet valid", token: rs.Mint(std(corpIss, "iat", unix(testNow.Add(time.Hour)))), wantReason: verifier.ReasonNotYetValid},

		{name: "a tampered payload fails the signature", token: tamper(rs.Mint(std(corpIss)), std(corpIss, "sub", "admin")), wantReason: verifier.ReasonBadSignature},
		{name: "a stripped signature fails the signature", token: strip(rs.Mint(std(corpIss))), wantReason: verifier.ReasonBadSignature},
		{name: "alg none is never allowed", token: verifiertest.Segment(map[string]any{"alg": "none"}) + "." + verifiertest.Segment(std(corpIss)) + ".", wantReason: verifier.ReasonAlgNotAllowed},
		{name: "an alg unknown to jwt is not allowed", token: verifiertest.Segment(map[string]any{"alg": "None"}) + "." + verifiertest.Segment(std(corpIss)) + ".", wantReason: verifier.ReasonAlgNotAllowed},
		{name: "HS256 signed with the RSA public key PEM is not allowed", token: verifiertest.Sign("HS256", rs.PublicPEM(), map[string]any{"alg": "HS256", "kid": rs.KID}, std(corpIss)), wantReason: verifier.ReasonAlgNotAllowed},
		{name: "HS256 with the RSA public key PEM fails for the HMAC issuer too", token: verifiertest.Sign("HS256", rs.PublicPEM(), jwtHS, std(internalIss)), wantReason: verifier.ReasonBadSignature},
		{name: "an RS256 token for the HMAC issuer is not allowed", token: rs.Mint(std(internalIss)), wantReason: verifier.ReasonAlgNotAllowed},
		{name: "an ES256 token naming the RSA key's kid is not allowed", token: es.MintHeader(map[string]any{"kid": rs.KID}, std(corpIss)), wantReason: verifier.ReasonAlgNotAllowed},
		{name: "a token signed with the JWKS encryption key is refused", token: f.jwks.EncKey().Mint(std(corpIss)), wantReason: verifier.ReasonUnknownKey},
		{name: "an unknown kid is refused", token: verifiertest.NewECKey("nobody").Mint(std(corpIss)), wantReason: verifier.ReasonUnknownKey},
		{name: "a non-string kid is malformed", token: es.MintHeader(map[string]any{"kid": 7}, std(corpIss)), wantReason: verifier.ReasonMalformed},
		{name: "an embedded jwk header is ignored", token: attackerWithHeader("jwk"), wantReason: verifier.ReasonBadSignature},
		{name: "a jku header is ignored", token: attackerWithHeader("jku"), wantReason: verifier.ReasonBadSignature},

		{name: "an unknown issuer is refused", token: rs.Mint(std("https://evil.example.com/")), wantReason: verifier.ReasonBadIssuer},
		{name: "a token without iss is refused", token: rs.Mint(std(corpIss, "iss", nil)), wantReason: verifier.ReasonBadIssuer},
		{name: "a non-string iss is malformed", token: rs.Mint(std(corpIss, "iss", 42)), wantReason: verifier.ReasonMalformed},
		{name: "a token claiming issuer B signed with issuer A's key fails", token: es.MintHeader(map[string]any{"kid": pk.KID}, std(partnerIss)), wantReason: verifier.ReasonBadSignature},
		{name: "a token claiming issuer A signed with issuer B's key fails", token: pk.MintHeader(map[string]any{"kid": es.KID}, std(corpIss)), wantReason: verifier.ReasonBadSignature},

		{name: "a foreign audience is refused", token: rs.Mint(std(corpIss, "aud", "someone-else")), wantReason: verifier.ReasonBadAudience},
		{name: "a missing audience is refused", token: rs.Mint(std(corpIss, "aud", nil)), wantReason: verifier.ReasonBadAudience},
		{name: "one matching audience among several passes", token: rs.Mint(std(corpIss, "aud", []any{"x", "other"})), wantSubject: "alice"},
		{name: "a non-string audience is malformed", token: rs.Mint(std(corpIss, "aud", 5)), wantReason: verifier.ReasonMalformed},
		{name: "an any-audience issuer accepts a token without aud", token: pk.Mint(std(partnerIss, "aud", nil)), wantSubject: "partner:alice"},

		{name: "typ at+jwt passes", token: rs.MintHeader(map[string]any{"typ": "at+jwt"}, std(corpIss)), wantSubject: "alice"},
		{name: "typ is compared case-insensitively and without application/", token: rs.MintHeader(map[string]any{"typ": "application/AT+JWT"}, std(corpIss)), wantSubject: "alice"},
		{name: "an absent typ passes", token: rs.MintHeader(map[string]any{}, std(corpIss)), wantSubject: "alice"},
		{name: "the gateway's assertion type is refused", token: rs.MintHeader(map[string]any{"typ": "authgate-assertion+jwt"}, std(corpIss)), wantReason: verifier.ReasonBadType},
		{name: "the assertion type is refused with application/ and other case", token: rs.MintHeader(map[string]any{"typ": "Application/Authgate-Assertion+JWT"}, std(corpIss)), wantReason: verifier.ReasonBadType},
		{name: "an unlisted typ is refused", token: rs.MintHeader(map[string]any{"typ": "dpop+jwt"}, std(corpIss)), wantReason: verifier.ReasonBadType},
		{name: "a non-string typ is malformed", token: rs.MintHeader(map[string]any{"typ": 1}, std(corpIss)), wantReason: verifier.ReasonMalformed},
		{name: "a crit header is refused", token: rs.MintHeader(map[string]any{"crit": []any{"exp"}, "exp": 1}, std(corpIss)), wantReason: verifier.ReasonUnsupportedCrit},

		{name: "a max-age issuer accepts a fresh token", token: pk.Mint(std(freshIss)), wantSubject: "alice"},
		{name: "a max-age issuer refuses an old token", token: pk.Mint(std(freshIss, "iat", unix(testNow.Add(-10*time.Minute)))), wantReason: verifier.ReasonTooOld},
		{name: "a max-age issuer refuses a token without iat", token: pk.Mint(std(freshIss, "iat", nil)), wantReason: verifier.ReasonTooOld},

		{name: "a missing sub is malformed", token: rs.Mint(std(corpIss, "sub", nil)), wantReason: verifier.ReasonMalformed},
		{name: "an empty sub is malformed", token: rs.Mint(std(corpIss, "sub", "")), wantReason: verifier.ReasonMalformed},
		{name: "a numeric sub is malformed", token: rs.Mint(std(corpIss, "sub", 12)), wantReason: verifier.ReasonMalformed},
		{name: "a missing exp is malformed", token: rs.Mint(std(corpIss, "exp", nil)), wantReason: verifier.ReasonMalformed},
		{name: "a string exp is malformed", token: rs.Mint(std(corpIss, "exp", "tomorrow")), wantReason: verifier.ReasonMalformed},
		{name: "an exp beyond year 9999 is malformed", token: rs.Mint(std(corpIss, "exp", 1e300)), wantReason: verifier.ReasonMalformed},
		{name: "a non-string jti is malformed", token: rs.Mint(std(corpIss, "jti", true)), wantReason: verifier.ReasonMalformed},
		{name: "two segments are malformed", token: strings.Join(strings.Split(rs.Mint(std(corpIss)), ".")[:2], "."), wantReason: verifier.ReasonMalformed},
		{name: "bad base64 is malformed", token: "eyJhbGciOiJSUzI1NiJ9.!!!.abc", wantReason: verifier.ReasonMalformed},
		{name: "an empty credential is malformed", token: "", wantReason: verifier.ReasonMalformed},

		{name: "a token over 8 KiB is too large", token: rs.Mint(std(corpIss, "pad", strings.Repeat("x", 9000))), wantReason: verifier.ReasonTooLarge},
		{name: "too many claims are too large", token: rs.Mint(std(corpIss, "many", many(300))), wantReason: verifier.ReasonTooLarge},
		{name: "deeply nested claims are too large", token: rs.Mint(std(corpIss, "deep", deep(20))), wantReason: verifier.ReasonTooLarge},
		{name: "moderately nested claims pass", token: rs.Mint(std(corpIss, "deep", deep(10))), wantSubject: "alice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id, err := f.router.Verify(t.Context(), bearer(tc.token))
			if tc.wantReason != "" {
				wantReason(t, err, tc.wantReason)
				if id != nil {
					t.Fatal("got an identity with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("got %v, want subject %q", err, tc.wantSubject)
			}
			if id.Subject != tc.wantSubject {
				t.Fatalf("got subject %q, want %q", id.Subject, tc.wantSubject)
			}
		})
	}
}

// tamper swaps the payload of token for claims, keeping the signature.
func tamper(token string, claims map[string]any) string {
	p := strings.Split(token, ".")
	return p[0] + "." + verifiertest.Segment(claims) + "." + p[2]
}

// strip removes the signature, keeping the trailing dot.
func strip(token string) string {
	return token[:strings.LastIndex(token, ".")+1]
}

// attackerWithHeader signs a corp token with the attacker's own key and
// points at that key through header name (embedded jwk, or a jku URL).
func attackerWithHeader(name string) string {
	k := verifiertest.NewECKey("es256-1")
	var v any = "https://attacker.example/jwks.json"
	if name == "jwk" {
		v = k.JWK()
	}
	return k.MintHeader(map[string]any{name: v}, std(corpIss))
}
