package verifier_test

import (
	"crypto"
	"errors"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// FuzzRouterVerify feeds arbitrary credentials to a router: parsing must
// never panic, and the outcome is an identity or a *RejectedError, nothing
// else (static keys cannot be unavailable). Seeds are in
// testdata/fuzz/FuzzRouterVerify.
func FuzzRouterVerify(f *testing.F) {
	ec := verifiertest.NewECKey("ec-1")
	secret := []byte("0123456789abcdef0123456789abcdef")
	keys := []crypto.PublicKey{ec.Public()}
	r, err := verifier.NewJWTRouter([]*verifier.JWTVerifier{
		mustJWT(verifier.JWTConfig{Name: "ec", Issuer: corpIss, Audiences: []string{"app"}, MaxAge: time.Hour,
			Algorithms: verifier.DefaultAlgorithms(keys), Keys: verifier.NewStaticKeySource(keys)}),
		mustJWT(verifier.JWTConfig{Name: "hmac", Issuer: internalIss, AnyAudience: true,
			Algorithms: []string{"HS256"}, Keys: verifier.NewHMACKeySource(secret)}),
	}, verifier.RouterOptions{})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	valid := std(corpIss, "iat", unix(now), "exp", unix(now.Add(time.Hour)))
	f.Add(ec.Mint(valid))
	f.Add(verifiertest.Sign("HS256", secret, map[string]any{"alg": "HS256"}, std(internalIss, "exp", unix(now.Add(time.Hour)))))
	f.Fuzz(func(t *testing.T, token string) {
		id, err := r.Verify(t.Context(), bearer(token))
		if err == nil {
			if id == nil || id.Subject == "" {
				t.Fatalf("success without a subject: %+v", id)
			}
			return
		}
		var rej *verifier.RejectedError
		if id != nil || !errors.As(err, &rej) || rej.Reason == "" {
			t.Fatalf("got identity %v and error %T %v, want only a *RejectedError", id, err, err)
		}
	})
}

func mustJWT(cfg verifier.JWTConfig) *verifier.JWTVerifier {
	v, err := verifier.NewJWTVerifier(cfg)
	if err != nil {
		panic(err)
	}
	return v
}
