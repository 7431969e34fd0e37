package verifier_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// Example verifies a bearer token against the keys an identity provider
// publishes at its JWKS URL (here an httptest server on 127.0.0.1 that
// verifiertest runs, with a key that mints the token).
func Example() {
	idp := verifiertest.NewServer()
	defer idp.Close()

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // ends the background refresh of the key set
	keys, err := verifier.NewRemoteKeySource(ctx, verifier.RemoteKeyOptions{URL: idp.URL})
	if err != nil {
		panic(err)
	}
	v, err := verifier.NewJWTVerifier(verifier.JWTConfig{
		Name:       "corp",
		Issuer:     "https://idp.example",
		Audiences:  []string{"https://app.example"},
		Algorithms: verifier.RemoteDefaultAlgorithms,
		Keys:       keys,
	})
	if err != nil {
		panic(err)
	}

	now := time.Now()
	token := idp.Key("ES256").Mint(map[string]any{
		"iss": "https://idp.example", "aud": "https://app.example", "sub": "alice",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "roles": []any{"admin"},
	})
	bearer := verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}

	id, err := v.Verify(ctx, verifier.Credential{Source: bearer, Value: token})
	if err != nil {
		panic(err)
	}
	fmt.Println(id.Verifier, id.Subject, id.Claims["roles"])

	// A token for another audience is rejected with a stable reason.
	other := idp.Key("ES256").Mint(map[string]any{
		"iss": "https://idp.example", "aud": "https://other.example", "sub": "alice",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
	})
	_, err = v.Verify(ctx, verifier.Credential{Source: bearer, Value: other})
	var rejected *verifier.RejectedError
	if errors.As(err, &rejected) {
		fmt.Println("rejected:", rejected.Reason)
	}
	// Output:
	// corp alice [admin]
	// rejected: bad_audience
}
