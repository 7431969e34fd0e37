package oidclogin

import (
	"context"
	"crypto"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// TestOIDCKeySetRefusesWhatTheAllowListForbids tries to get provider tokens
// past the signature check: no signature, a public key used as an HMAC
// secret, an algorithm the discovery document does not list, a foreign key
// under the provider's kid, a stripped signature.
func TestOIDCKeySetRefusesWhatTheAllowListForbids(t *testing.T) {
	key := verifiertest.NewRSAKey("k1")
	ks := newKeySet(verifier.NewStaticKeySource([]crypto.PublicKey{key.Public()}), signingAlgs([]string{"RS256", "HS256", "none"}))
	claims := map[string]any{"iss": "https://idp", "sub": "alice"}
	good := key.Mint(claims)
	payload, err := ks.VerifySignature(context.Background(), good)
	if err != nil || string(payload) != `{"iss":"https://idp","sub":"alice"}` {
		t.Fatalf("a good token: %q, %v", payload, err)
	}
	other := verifiertest.NewRSAKey("k1")
	parts := strings.Split(good, ".")
	bad := map[string]string{
		"alg none":                            verifiertest.Segment(map[string]any{"alg": "none", "kid": "k1"}) + "." + parts[1] + ".",
		"HS256 keyed with the public key":     verifiertest.Sign("HS256", key.PublicPEM(), map[string]any{"alg": "HS256", "kid": "k1"}, claims),
		"RS512, not advertised":               verifiertest.Sign("RS512", key.Private, map[string]any{"alg": "RS512", "kid": "k1"}, claims),
		"a foreign key under the kid":         other.Mint(claims),
		"a stripped signature":                parts[0] + "." + parts[1] + ".",
		"another payload under the signature": parts[0] + "." + verifiertest.Segment(map[string]any{"iss": "https://idp", "sub": "mallory"}) + "." + parts[2],
	}
	for what, tok := range bad {
		if p, err := ks.VerifySignature(context.Background(), tok); err == nil {
			t.Errorf("%s: accepted, payload %s", what, p)
		}
	}
}

// downKeys is a key source whose keys cannot be had.
type downKeys struct{}

func (downKeys) KeyfuncCtx(context.Context) jwt.Keyfunc {
	return func(*jwt.Token) (any, error) {
		return nil, verifier.Unavailable(verifier.ReasonKeysUnavailable, errors.New("JWKS down"))
	}
}

func TestOIDCKeySetTellsKeysDownFromBadTokens(t *testing.T) {
	key := verifiertest.NewRSAKey("k1")
	tok := key.Mint(map[string]any{"sub": "alice"})
	ctx, down := withKeysDown(context.Background())
	if _, err := newKeySet(downKeys{}, []string{"RS256"}).VerifySignature(ctx, tok); err == nil || !*down {
		t.Fatalf("keys down: err %v, flagged %v", err, *down)
	}
	ctx, down = withKeysDown(context.Background())
	ks := newKeySet(verifier.NewStaticKeySource([]crypto.PublicKey{verifiertest.NewRSAKey("k1").Public()}), []string{"RS256"})
	if _, err := ks.VerifySignature(ctx, tok); err == nil || *down {
		t.Fatalf("bad signature: err %v, flagged %v", err, *down)
	}
}

func TestProviderClientDropsErrorBodiesCapsOthersAndDoesNotFollowRedirects(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/error":
			http.Error(w, "PROVIDER-SECRET-DETAIL", http.StatusBadRequest)
		case "/big":
			_, _ = w.Write([]byte(strings.Repeat("x", maxProviderBytes+10)))
		default:
			http.Redirect(w, r, "http://127.0.0.1:1/elsewhere", http.StatusTemporaryRedirect)
		}
	}))
	t.Cleanup(srv.Close)
	c := newProviderClient(5 * time.Second)
	body := func(path string) (int, string) {
		resp, err := c.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, b := body("/error"); code != http.StatusBadRequest || b != "" {
		t.Fatalf("error answer: %d %q, want the status without its body", code, b)
	}
	if _, b := body("/big"); len(b) != maxProviderBytes {
		t.Fatalf("read %d bytes, want the %d-byte cap", len(b), maxProviderBytes)
	}
	if code, _ := body("/redirect"); code != http.StatusTemporaryRedirect {
		t.Fatalf("redirect: %d, want it returned, not followed", code)
	}
}
