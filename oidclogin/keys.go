package oidclogin

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authgate/authgate/internal/httpx"
	"github.com/authgate/authgate/verifier"
)

// maxProviderBytes caps every answer read from an identity provider
// (discovery, keys, tokens, userinfo).
const maxProviderBytes = 1 << 20

// keySet verifies ID and logout token signatures for go-oidc with the
// gateway's own key source (from the KeyLoader): unknown kids refresh from
// a small token bucket, no request waits on that for more than about a
// second, bodies are capped, and keys keep working while the JWKS endpoint
// is down. go-oidc's own RemoteKeySet refetches the keys for every token
// whose signature fails, which anyone posting to the back-channel logout
// endpoint could trigger at will.
type keySet struct {
	keys   verifier.KeySource
	parser *jwt.Parser
}

func newKeySet(keys verifier.KeySource, algs []string) *keySet {
	return &keySet{keys: keys, parser: jwt.NewParser(jwt.WithValidMethods(algs), jwt.WithoutClaimsValidation())}
}

// keysDownKey carries a *bool through go-oidc that VerifySignature sets
// when the keys could not be had: go-oidc flattens the error to text.
type keysDownKey struct{}

// VerifySignature implements oidc.KeySet: it checks the signature with
// golang-jwt and returns the payload for go-oidc to check the claims of.
func (k *keySet) VerifySignature(ctx context.Context, raw string) ([]byte, error) {
	_, err := k.parser.Parse(raw, k.keys.KeyfuncCtx(ctx))
	if err != nil {
		var unavailable *verifier.UnavailableError
		if down, ok := ctx.Value(keysDownKey{}).(*bool); ok && errors.As(err, &unavailable) {
			*down = true
		}
		return nil, err
	}
	parts := strings.Split(raw, ".")
	return k.parser.DecodeSegment(parts[1])
}

// withKeysDown returns ctx carrying a flag VerifySignature sets when the
// provider's keys were unavailable.
func withKeysDown(ctx context.Context) (context.Context, *bool) {
	down := new(bool)
	return context.WithValue(ctx, keysDownKey{}, down), down
}

// signingAlgs are the asymmetric algorithms of a discovery document's
// id_token_signing_alg_values_supported (RS256 when it names none).
func signingAlgs(advertised []string) []string {
	var algs []string
	for _, a := range advertised {
		if slices.Contains(verifier.RemoteDefaultAlgorithms, a) {
			algs = append(algs, a)
		}
	}
	if len(algs) == 0 {
		return []string{"RS256"}
	}
	return algs
}

// providerTransport bounds what the gateway reads from a provider: bodies
// are capped, and the body of a non-2xx answer is dropped, because
// go-oidc and x/oauth2 put it into their errors, which end up in logs.
type providerTransport struct{ next http.RoundTripper }

func (t providerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(nil))
		resp.ContentLength = 0
		return resp, nil
	}
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, maxProviderBytes), resp.Body}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of the transport below.
func (t providerTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// newProviderClient is the HTTP client for one provider: bounded in time
// and size, and never following redirects (a 307 would resend a
// client_secret_post body to another host).
func newProviderClient(timeout time.Duration) *http.Client {
	return httpx.NewClient(&http.Client{Transport: providerTransport{next: httpx.NewTransport(0)}}, timeout)
}
