package oidctest

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/compose"
	fjwt "github.com/ory/fosite/token/jwt"
)

// Options configures a Provider.
type Options struct {
	// ClientID and ClientSecret identify the one confidential client. The
	// token endpoint accepts the secret by client_secret_basic or
	// client_secret_post. Default: "authgate-test" and
	// "authgate-test-secret".
	ClientID, ClientSecret string
	// RedirectURIs are the client's registered redirect URIs; AllowRedirect
	// adds more later. fosite compares them as exact strings, except that an
	// http URI on a loopback IP (127.0.0.1, ::1) matches whatever its port
	// (RFC 8252 section 7.3). Default: none, so every login fails until one
	// is allowed.
	RedirectURIs []string
	// PostLogoutRedirectURIs are the post_logout_redirect_uri values /logout
	// redirects to. Default: any http(s) URI on 127.0.0.1, ::1 or localhost.
	PostLogoutRedirectURIs []string
	// NoEndSession omits end_session_endpoint from discovery, as Google
	// does. /logout still answers. Default: false.
	NoEndSession bool
	// ExtraAudience are "aud" values ID tokens carry besides the client ID
	// (to test azp handling). Default: none.
	ExtraAudience []string
	// AZP, when set, is the "azp" claim of ID tokens. Default: absent.
	AZP string
	// IDTokenLifespan is how long ID tokens are valid. Default: 1h.
	IDTokenLifespan time.Duration
}

// Provider is a running OpenID Provider. Its methods are safe for
// concurrent use.
type Provider struct {
	t       testing.TB
	opts    Options
	addr    string // host:port, kept so Start can listen again on it
	issuer  string
	key     *rsa.PrivateKey
	kid     string
	jwks    []byte
	foreign func() *rsa.PrivateKey
	store   *clientStore
	oauth   fosite.OAuth2Provider
	tokens  atomic.Int64

	mu        sync.Mutex
	users     map[string]map[string]any // sub → SetUser claims
	autoLogin string
	sessions  map[string]string // live provider session id → sub
	latest    map[string]string // sub → session id of the latest login
	logouts   []EndSession

	srvMu sync.Mutex // serialises Start and Stop
	srv   *http.Server
	done  chan struct{} // closed when srv.Serve has returned
}

// New starts a Provider on 127.0.0.1 with a random port. t.Cleanup stops
// it.
func New(t testing.TB, opts Options) *Provider {
	t.Helper()
	if opts.ClientID == "" {
		opts.ClientID = "authgate-test"
	}
	if opts.ClientSecret == "" {
		opts.ClientSecret = "authgate-test-secret"
	}
	if opts.IDTokenLifespan <= 0 {
		opts.IDTokenLifespan = time.Hour
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("oidctest: listening: %v", err)
	}
	p := &Provider{
		t:        t,
		opts:     opts,
		addr:     l.Addr().String(),
		issuer:   "http://" + l.Addr().String(),
		key:      newKey(t),
		foreign:  sync.OnceValue(func() *rsa.PrivateKey { return newKey(t) }),
		users:    map[string]map[string]any{},
		sessions: map[string]string{},
		latest:   map[string]string{},
	}
	p.kid, p.jwks = publishKey(t, &p.key.PublicKey)
	p.oauth, p.store = p.compose()
	p.serve(l)
	t.Cleanup(p.Stop)
	return p
}

// compose builds the fosite provider: authorization code with PKCE S256
// enforced for every client (plain refused), OpenID Connect, refresh
// tokens, and token introspection (which /userinfo relies on).
func (p *Provider) compose() (fosite.OAuth2Provider, *clientStore) {
	cfg := &fosite.Config{
		IDTokenIssuer:                  p.issuer,
		AccessTokenIssuer:              p.issuer,
		TokenURL:                       p.issuer + "/token",
		GlobalSecret:                   randomBytes(p.t, 32),
		EnforcePKCE:                    true,
		EnablePKCEPlainChallengeMethod: false,
		ScopeStrategy:                  fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:       fosite.DefaultAudienceMatchingStrategy,
		AuthorizeCodeLifespan:          10 * time.Minute,
		AccessTokenLifespan:            time.Hour,
		RefreshTokenLifespan:           24 * time.Hour,
		IDTokenLifespan:                p.opts.IDTokenLifespan,
		HashCost:                       4, // bcrypt's minimum: tests hash one secret, speed matters more
		SendDebugMessagesToClients:     true,
	}
	// fosite's getters fill unset strategies in lazily, a data race once
	// requests run concurrently: set every one a request can reach. (The
	// JWKS fetcher serves private_key_jwt only, which this client lacks.)
	cfg.ClientSecretsHasher = &fosite.BCrypt{Config: cfg}
	hashed, err := cfg.ClientSecretsHasher.Hash(context.Background(), []byte(p.opts.ClientSecret))
	if err != nil {
		p.t.Fatalf("oidctest: hashing the client secret: %v", err)
	}
	store := newClientStore(p.opts.ClientID, hashed, p.opts.RedirectURIs)
	getKey := func(context.Context) (any, error) { return p.key, nil }
	strategy := &compose.CommonStrategy{
		CoreStrategy:               compose.NewOAuth2HMACStrategy(cfg),
		OpenIDConnectTokenStrategy: compose.NewOpenIDConnectStrategy(getKey, cfg),
		Signer:                     &fjwt.DefaultSigner{GetPrivateKey: getKey},
	}
	provider := compose.Compose(cfg, store, strategy,
		compose.OAuth2AuthorizeExplicitFactory,
		compose.OAuth2PKCEFactory, // after the code handler: it binds the challenge to the code
		compose.OAuth2RefreshTokenGrantFactory,
		compose.OpenIDConnectExplicitFactory,
		compose.OpenIDConnectRefreshFactory,
		compose.OAuth2TokenIntrospectionFactory,
	)
	return provider, store
}

// Issuer returns the issuer, http://127.0.0.1:PORT without a trailing
// slash; it is also the base URL of every endpoint.
func (p *Provider) Issuer() string { return p.issuer }

// AllowRedirect registers one more redirect URI for the client.
func (p *Provider) AllowRedirect(uri string) { p.store.allowRedirect(uri) }

// SetUser sets the claims of sub: they go into its ID tokens (next to the
// standard claims, which they cannot override) and its userinfo answers.
// Userinfo reads them live, so a later SetUser changes what it returns.
func (p *Provider) SetUser(sub string, claims map[string]any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.users[sub] = maps.Clone(claims)
}

// AutoLogin makes /authorize approve every request as sub without showing
// a form. With "" (the default) /authorize shows the login form.
func (p *Provider) AutoLogin(sub string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.autoLogin = sub
}

// TokenRequests returns how many calls /token has received, successful or
// not.
func (p *Provider) TokenRequests() int { return int(p.tokens.Load()) }

// Logouts returns the calls /logout has received, oldest first.
func (p *Provider) Logouts() []EndSession {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]EndSession(nil), p.logouts...)
}

// SID returns the provider session id ("sid" claim) of sub's latest login,
// or "" if sub never logged in.
func (p *Provider) SID(sub string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latest[sub]
}

// userClaims returns a copy of sub's SetUser claims (never nil).
func (p *Provider) userClaims(sub string) map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := maps.Clone(p.users[sub])
	if c == nil {
		c = map[string]any{}
	}
	return c
}

// newKey generates an RSA-2048 signing key.
func newKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatalf("oidctest: generating a key: %v", err)
	}
	return k
}

// publishKey returns the key id (the RFC 7638 thumbprint) and the JWKS
// document that publishes pub.
func publishKey(t testing.TB, pub *rsa.PublicKey) (string, []byte) {
	jwk := jose.JSONWebKey{Key: pub, Use: "sig", Algorithm: "RS256"}
	sum, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		t.Fatalf("oidctest: computing the key thumbprint: %v", err)
	}
	jwk.KeyID = base64.RawURLEncoding.EncodeToString(sum)
	doc, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{jwk}})
	if err != nil {
		t.Fatalf("oidctest: encoding the JWKS: %v", err)
	}
	return jwk.KeyID, doc
}

// randomBytes returns n bytes from crypto/rand.
func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("oidctest: reading random bytes: %v", err)
	}
	return b
}

// randomID returns a random URL-safe identifier with 128 bits of entropy.
func randomID(t testing.TB) string {
	return base64.RawURLEncoding.EncodeToString(randomBytes(t, 16))
}
