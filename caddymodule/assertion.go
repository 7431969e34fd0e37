package caddymodule

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/assertion"
	"github.com/authgate/authgate/caddymodule/pools"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/verifier"
)

// assertionKeyPath is where the assertion signing key lives in Caddy's
// storage when no key_file is given.
const assertionKeyPath = "authgate/assertion/signing_key.pem"

// provisionAssertion sets up the signer when a header mapping asks for it.
func (a *App) provisionAssertion(ctx caddy.Context) error {
	var mapping *forward.Mapping
	for i := range a.headers {
		if !a.headers[i].IsAssertion() {
			continue
		}
		if mapping != nil {
			return fmt.Errorf("header %s: only one header may carry the assertion", a.headers[i].Name())
		}
		mapping = &a.headers[i]
	}
	if mapping == nil {
		// The endpoint exists on every gateway; without assertions the
		// set is empty rather than the path falling through to the app.
		a.registerEndpoint("jwks.json", serveJWKS([]byte(`{"keys":[]}`)))
		return nil
	}
	key, err := a.assertionKey(ctx)
	if err != nil {
		return fmt.Errorf("loading assertion key: %w", err)
	}
	var paths []string
	for _, m := range a.headers {
		paths = append(paths, m.ClaimPaths()...)
	}
	s, err := assertion.New(key, assertion.Config{Issuer: a.AssertionIssuer, TTL: time.Duration(a.AssertionTTL),
		Claims: assertion.TopLevelClaims(paths)})
	if err != nil {
		return err
	}
	a.cleanups = append(a.cleanups, func() error { s.Close(); return nil })
	mapping.SetSigner(s.Token)
	a.registerEndpoint("jwks.json", serveJWKS(s.JWKS()))
	return nil
}

func (a *App) assertionKey(ctx caddy.Context) (crypto.Signer, error) {
	if a.AssertionKeyFile != "" {
		data, err := os.ReadFile(caddy.NewReplacer().ReplaceKnown(a.AssertionKeyFile, ""))
		if err != nil {
			return nil, err
		}
		return verifier.ParsePrivateKeyPEM(data)
	}
	return pools.LoadOrCreateKey(ctx, ctx.Storage(), assertionKeyPath, func() (crypto.Signer, error) {
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	})
}

// serveJWKS publishes the assertion public key.
func serveJWKS(body []byte) endpoint {
	return func(_ *Handler, w http.ResponseWriter, r *http.Request) error {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			return writeJSON(w, r, http.StatusMethodNotAllowed, "method_not_allowed", `{"error":"method_not_allowed"}`)
		}
		return writeJSON(w, r, http.StatusOK, "", string(body))
	}
}
