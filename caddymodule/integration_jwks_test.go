package caddymodule

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// idpSite puts two identity providers (A via bearer header, B via cookie)
// and a key-file issuer C in front of the echo upstream.
const idpSite = `{
	admin off
	storage file_system {STORAGE}
	authgate {
		jwt idp_a {
			issuer https://a.example/
			jwks_url {JWKS_A}
			audience app
			unknown_kid_cooldown 1m
			subject_template a:{sub}
		}
		jwt idp_b {
			issuer https://b.example/
			jwks_url {JWKS_B}
			audience app other
			from cookie id_token
			subject_template user:{sub}
		}
		jwt files {
			issuer https://c.example/
			key_file {KEY_C}
			audience any
			max_age 5m
			from header X-Api-Token
			subject_template c:{sub}
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

type idpFixture struct {
	g      *gateway
	a, b   *verifiertest.Server
	keyC   *verifiertest.Key
	claims func(iss string) map[string]any
}

func startIdPGateway(t *testing.T, aDown bool) *idpFixture {
	t.Helper()
	a, b := verifiertest.NewServer(), verifiertest.NewServer()
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	a.Down(aDown)
	keyC := verifiertest.NewECKey("")
	pemPath := filepath.Join(t.TempDir(), "c.pem")
	if err := os.WriteFile(pemPath, keyC.PublicPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	up := echoUpstream(t)
	cf := strings.NewReplacer("{JWKS_A}", a.URL, "{JWKS_B}", b.URL, "{KEY_C}", pemPath, "{UPSTREAM}", up.URL).Replace(idpSite)
	return &idpFixture{g: startGateway(t, cf), a: a, b: b, keyC: keyC, claims: validClaims}
}

// validClaims returns claims that pass every check of the fixture's
// verifiers for issuer iss.
func validClaims(iss string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss": iss, "aud": "app", "sub": "alice", "email": "alice@example.com",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": fmt.Sprint(now.UnixNano()),
	}
}

func with(c map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
			continue
		}
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func TestEveryAlgorithmAndSourceVerifiesThroughCaddy(t *testing.T) {
	f := startIdPGateway(t, false)
	for _, alg := range []string{"RS256", "ES256", "EdDSA"} {
		t.Run(alg+" bearer token of issuer A is accepted", func(t *testing.T) {
			tok := f.a.Key(alg).Mint(validClaims("https://a.example/"))
			r := f.g.do("GET", "/", "Authorization: Bearer "+tok)
			wantStatus(t, r, http.StatusOK)
			if got := r.upstream.Get("X-Auth-User-Id"); got != "a:alice" {
				t.Errorf("X-Auth-User-Id = %q", got)
			}
		})
	}
	t.Run("cookie token of issuer B gets B's subject template", func(t *testing.T) {
		tok := f.b.Key("ES256").Mint(with(validClaims("https://b.example/"), "aud", []any{"other"}))
		r := f.g.do("GET", "/", "Cookie: id_token="+tok)
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("X-Auth-User-Id"); got != "user:alice" {
			t.Errorf("X-Auth-User-Id = %q, want user:alice", got)
		}
	})
	t.Run("key_file issuer C reads its custom header", func(t *testing.T) {
		tok := f.keyC.MintHeader(map[string]any{"kid": nil}, with(validClaims("https://c.example/"), "aud", "whatever"))
		r := f.g.do("GET", "/", "X-Api-Token: "+tok)
		wantStatus(t, r, http.StatusOK)
		if got := r.upstream.Get("X-Api-Token"); got == "" {
			t.Errorf("the credential header must be spared by stripping (it is read, not forged)")
		}
	})
}

func TestAttacksAndBadTokensGetTheirReasonCodes(t *testing.T) {
	f := startIdPGateway(t, false)
	a := validClaims("https://a.example/")
	rsa := f.a.Key("RS256")
	parts := strings.Split(rsa.Mint(a), ".")
	cases := []struct {
		name, header, reason string
	}{
		{"an expired token", "Authorization: Bearer " + rsa.Mint(with(a, "exp", time.Now().Add(-time.Minute).Unix())), "token_expired"},
		{"a token not yet valid", "Authorization: Bearer " + rsa.Mint(with(a, "nbf", time.Now().Add(time.Hour).Unix())), "token_not_yet_valid"},
		{"a token without exp", "Authorization: Bearer " + rsa.Mint(with(a, "exp", nil)), "malformed"},
		{"a token for another audience", "Authorization: Bearer " + rsa.Mint(with(a, "aud", "someone-else")), "bad_audience"},
		{"a token of an unknown issuer", "Authorization: Bearer " + rsa.Mint(with(a, "iss", "https://evil.example/")), "bad_issuer"},
		{"issuer B's token in A's header source", "Authorization: Bearer " + f.b.Key("RS256").Mint(validClaims("https://b.example/")), "bad_issuer"},
		// Both test IdPs publish kid "rs256-1": the worst case, where the
		// kid names a key of B and only the signature check stands between.
		{"a token claiming issuer B signed with A's key", "Cookie: id_token=" + rsa.Mint(validClaims("https://b.example/")), "bad_signature"},
		{"alg none", "Authorization: Bearer " + verifiertest.Segment(map[string]any{"alg": "none", "typ": "JWT"}) + "." + parts[1] + ".", "alg_not_allowed"},
		{"HS256 signed with the RSA public key", "Authorization: Bearer " + verifiertest.Sign("HS256", rsa.PublicPEM(), map[string]any{"alg": "HS256", "kid": rsa.KID}, a), "alg_not_allowed"},
		{"a stripped signature", "Authorization: Bearer " + parts[0] + "." + parts[1] + ".", "bad_signature"},
		{"a signature from another token", "Authorization: Bearer " + parts[0] + "." + verifiertest.Segment(with(a, "sub", "admin")) + "." + parts[2], "bad_signature"},
		{"the gateway's own assertion type", "Authorization: Bearer " + rsa.MintHeader(map[string]any{"typ": "authgate-assertion+jwt"}, a), "bad_type"},
		{"an unknown crit header", "Authorization: Bearer " + rsa.MintHeader(map[string]any{"crit": []any{"exp"}}, a), "unsupported_crit"},
		{"an unknown kid", "Authorization: Bearer " + verifiertest.NewRSAKey("nobody").Mint(a), "unknown_key"},
		{"a jku header pointing elsewhere does not choose the key", "Authorization: Bearer " + verifiertest.NewRSAKey("rs256-1").MintHeader(map[string]any{"jku": "http://127.0.0.1:1/jwks"}, a), "bad_signature"},
		{"too many claims", "Authorization: Bearer " + rsa.Mint(manyClaims(a, 300)), "too_large"},
		{"an oversized token", "Authorization: Bearer " + strings.Repeat("x", 8193), "too_large"},
		{"a key_file token older than max_age", "X-Api-Token: " + f.keyC.MintHeader(map[string]any{"kid": nil}, with(validClaims("https://c.example/"), "iat", time.Now().Add(-time.Hour).Unix())), "too_old"},
		{"a key_file token without iat under max_age", "X-Api-Token: " + f.keyC.MintHeader(map[string]any{"kid": nil}, with(validClaims("https://c.example/"), "iat", nil)), "too_old"},
		{"base64 garbage", "Authorization: Bearer a.b.c", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := f.g.do("GET", "/", tc.header)
			wantReason(t, r, http.StatusUnauthorized, tc.reason)
		})
	}
}

func manyClaims(base map[string]any, n int) map[string]any {
	out := with(base)
	for i := 0; i < n; i++ {
		out[fmt.Sprintf("c%d", i)] = i
	}
	return out
}

func TestKeyRotationIsPickedUpAtOnce(t *testing.T) {
	f := startIdPGateway(t, false)
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+f.a.Key("RS256").Mint(validClaims("https://a.example/"))), http.StatusOK)
	f.a.Rotate()
	tok := f.a.Key("RS256").Mint(validClaims("https://a.example/"))
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK)
}

func TestUnknownKidFloodCausesBoundedJWKSFetches(t *testing.T) {
	f := startIdPGateway(t, false)
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+f.a.Key("ES256").Mint(validClaims("https://a.example/"))), http.StatusOK)
	before := f.a.Fetches()
	for i := 0; i < 50; i++ {
		tok := verifiertest.NewEdKey(fmt.Sprintf("flood-%d", i)).Mint(validClaims("https://a.example/"))
		wantReason(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusUnauthorized, "unknown_key")
	}
	// idp_a sets the deprecated unknown_kid_cooldown 1m: the refill
	// interval, so only the burst of 3 is spent here.
	if extra := f.a.Fetches() - before; extra > 3 {
		t.Fatalf("50 unknown kids caused %d JWKS fetches, want at most the burst of 3", extra)
	}
}

func TestCachedIdentityNeedsNoKeyFetch(t *testing.T) {
	f := startIdPGateway(t, false)
	tok := f.a.Key("EdDSA").Mint(validClaims("https://a.example/"))
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK)
	before := f.a.Fetches()
	f.a.Down(true)
	for i := 0; i < 20; i++ {
		wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK)
	}
	if f.a.Fetches() != before {
		t.Fatalf("repeated requests with a verified token fetched the JWKS")
	}
}

func TestKeysKeepWorkingWhileJWKSIsDown(t *testing.T) {
	f := startIdPGateway(t, false)
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+f.a.Key("RS256").Mint(validClaims("https://a.example/"))), http.StatusOK)
	f.a.Down(true)
	// A new token (not in the identity cache) under a known kid still
	// verifies from the last good key set.
	fresh := f.a.Key("RS256").Mint(with(validClaims("https://a.example/"), "sub", "bob"))
	r := f.g.do("GET", "/", "Authorization: Bearer "+fresh)
	wantStatus(t, r, http.StatusOK)
	if got := r.upstream.Get("X-Auth-User-Id"); got != "a:bob" {
		t.Errorf("X-Auth-User-Id = %q, want a:bob", got)
	}
}

func TestJWKSDownFromStartIsUnavailableNotUnauthorized(t *testing.T) {
	f := startIdPGateway(t, true)
	r := f.g.do("GET", "/", "Authorization: Bearer "+f.a.Key("RS256").Mint(validClaims("https://a.example/")))
	wantReason(t, r, http.StatusServiceUnavailable, "keys_unavailable")
	if r.header.Get("Retry-After") == "" {
		t.Errorf("503 without Retry-After")
	}
	f.a.Down(false)
	// The endpoint is back: the next request may refresh (rate-limited
	// unknown-kid refresh), so poll briefly.
	deadline := time.Now().Add(3 * time.Second)
	for {
		r = f.g.do("GET", "/", "Authorization: Bearer "+f.a.Key("RS256").Mint(validClaims("https://a.example/")))
		if r.status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, r, http.StatusOK)
}

func TestReloadKeepsTheSharedKeySource(t *testing.T) {
	f := startIdPGateway(t, false)
	tok := f.a.Key("RS256").Mint(validClaims("https://a.example/"))
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+tok), http.StatusOK)
	before := f.a.Fetches()
	for i := 0; i < 3; i++ {
		f.g.reload()
	}
	if got := f.a.Fetches(); got != before {
		t.Fatalf("3 reloads fetched the JWKS %d more times; the key source should be shared", got-before)
	}
	fresh := f.a.Key("RS256").Mint(with(validClaims("https://a.example/"), "sub", "carol"))
	wantStatus(t, f.g.do("GET", "/", "Authorization: Bearer "+fresh), http.StatusOK)
}
