package verifier_test

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// benchRouter returns a router over a remote JWKS source on srv, on the
// real clock.
func benchRouter(b *testing.B, srv *verifiertest.Server) *verifier.JWTRouter {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	keys, err := verifier.NewRemoteKeySource(ctx, verifier.RemoteKeyOptions{URL: srv.URL})
	if err != nil {
		b.Fatal(err)
	}
	v, err := verifier.NewJWTVerifier(verifier.JWTConfig{Name: "corp", Issuer: corpIss, Audiences: []string{"app"},
		Algorithms: verifier.RemoteDefaultAlgorithms, Keys: keys})
	if err != nil {
		b.Fatal(err)
	}
	r, err := verifier.NewJWTRouter([]*verifier.JWTVerifier{v}, verifier.RouterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return r
}

// benchToken mints a typical access token for the real clock.
func benchToken(k *verifiertest.Key) string {
	now := time.Now()
	return k.Mint(std(corpIss, "iat", unix(now), "exp", unix(now.Add(time.Hour)),
		"email", "alice@example.com", "roles", []any{"admin", "editor"}, "scope", "openid profile email"))
}

func BenchmarkCacheHit(b *testing.B) {
	srv := verifiertest.NewServer()
	b.Cleanup(srv.Close)
	cache, err := verifier.NewIdentityCache(1<<24, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(cache.Close)
	c := verifier.NewCached(benchRouter(b, srv), cache, verifier.CacheOptions{Group: "corp"})
	cred := bearer(benchToken(srv.Key("ES256")))
	if _, err := c.Verify(b.Context(), cred); err != nil {
		b.Fatal(err)
	}
	cache.Wait()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Verify(b.Context(), cred); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkColdVerify(b *testing.B) {
	srv := verifiertest.NewServer()
	b.Cleanup(srv.Close)
	r := benchRouter(b, srv)
	for _, alg := range verifiertest.Algs {
		b.Run(alg, func(b *testing.B) {
			cred := bearer(benchToken(srv.Key(alg)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Verify(b.Context(), cred); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRawSignatureVerify is the floor: jwt's signature check alone on
// the same tokens, with the key at hand.
func BenchmarkRawSignatureVerify(b *testing.B) {
	srv := verifiertest.NewServer()
	b.Cleanup(srv.Close)
	for _, alg := range verifiertest.Algs {
		b.Run(alg, func(b *testing.B) {
			k := srv.Key(alg)
			token := benchToken(k)
			dot := strings.LastIndex(token, ".")
			sig, err := base64.RawURLEncoding.DecodeString(token[dot+1:])
			if err != nil {
				b.Fatal(err)
			}
			method, pub := jwt.GetSigningMethod(alg), k.Public()
			b.ReportAllocs()
			for b.Loop() {
				if err := method.Verify(token[:dot], sig, pub); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
