package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"github.com/authgate/authgate/internal/redact"
)

// errProviderUnavailable means the provider's configuration or keys could
// not be had (yet): logins answer 503 provider_unavailable.
var errProviderUnavailable = errors.New("identity provider unavailable")

// discoveryWait is the longest a request waits for a discovery in flight
// before it answers 503.
const discoveryWait = time.Second

// oidcProvider is one provisioned oidc block.
type oidcProvider struct {
	cfg          *OIDCConfig
	app          *App
	ctx          caddy.Context // the config's context: discovery stops with it
	codec        *loginCodec
	cookies      loginCookies
	issuer       string
	clientSecret string
	client       *http.Client
	callbackURLs map[string]*url.URL // callback_url entries by lowercased host
	limits       oidcLimits

	disc     atomic.Pointer[oidcDiscovery] // nil until discovery succeeds
	mu       sync.Mutex                    // guards the fields below
	inflight chan struct{}                 // closed when the running discovery ends
	lastFail time.Time
	poolKey  string // keyPool entry to release, once discovered
	closed   bool
}

// oidcDiscovery is what the provider's discovery document told us.
type oidcDiscovery struct {
	provider   *oidc.Provider
	endpoint   oauth2.Endpoint
	idTokens   *oidc.IDTokenVerifier // ID tokens and logout tokens
	endSession string                // "" when the provider has none
}

// discovered returns the provider's configuration. Discovery runs in the
// background, one at a time, and at most once per discoveryRetry after a
// failure; a request waits for one in flight at most discoveryWait, so a
// provider that hangs costs each login a second, never a queue.
func (p *oidcProvider) discovered(ctx context.Context) (*oidcDiscovery, error) {
	if d := p.disc.Load(); d != nil {
		return d, nil
	}
	done := p.startDiscovery()
	if done == nil {
		return nil, errProviderUnavailable
	}
	timer := time.NewTimer(discoveryWait)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
	case <-ctx.Done():
	}
	if d := p.disc.Load(); d != nil {
		return d, nil
	}
	return nil, errProviderUnavailable
}

// startDiscovery starts a discovery unless one runs or the last failed
// less than discoveryRetry ago (nil then), and returns its done channel.
func (p *oidcProvider) startDiscovery() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.inflight != nil {
		return p.inflight
	}
	if p.closed || time.Since(p.lastFail) < discoveryRetry {
		return nil
	}
	done := make(chan struct{})
	p.inflight = done
	go p.runDiscovery(done)
	return done
}

func (p *oidcProvider) runDiscovery(done chan struct{}) {
	var d *oidcDiscovery
	var poolKey string
	err := errors.New("discovery panicked")
	defer close(done)
	defer p.finishDiscovery(&d, &poolKey, &err)
	d, poolKey, err = p.fetchDiscovery()
}

// finishDiscovery records a discovery's outcome, a panic included, so the
// next one can start.
func (p *oidcProvider) finishDiscovery(d **oidcDiscovery, poolKey *string, errp *error) {
	if v := recover(); v != nil {
		p.app.logger.Error("panic in oidc discovery", zap.String("panic", redact.Text(fmt.Sprint(v))))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight = nil
	if err := *errp; err != nil {
		p.lastFail = time.Now()
		p.app.logger.Warn("oidc discovery failed", zap.String("oidc", p.cfg.Name), zap.String("issuer", redact.URL(p.issuer)), zap.Error(redact.Error(err)))
		return
	}
	if p.closed {
		_, _ = keyPool.Delete(*poolKey)
		return
	}
	p.poolKey = *poolKey
	p.disc.Store(*d)
}

// fetchDiscovery reads the discovery document and sets up the provider's
// keys (shared through keyPool) and clients.
func (p *oidcProvider) fetchDiscovery() (*oidcDiscovery, string, error) {
	ctx, cancel := p.context(p.ctx)
	defer cancel()
	prov, err := oidc.NewProvider(ctx, p.issuer)
	if err != nil {
		return nil, "", err
	}
	var extra struct {
		JWKS        string   `json:"jwks_uri"`
		EndSession  string   `json:"end_session_endpoint"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
		Algs        []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := prov.Claims(&extra); err != nil {
		return nil, "", err
	}
	if extra.JWKS == "" {
		return nil, "", fmt.Errorf("discovery document has no jwks_uri")
	}
	if u, err := url.Parse(extra.EndSession); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		extra.EndSession = "" // only ever an http(s) URL becomes a form action
	}
	keys, poolKey, err := loadRemoteKeys(p.ctx, p.app.logger, &JWTConfig{}, extra.JWKS)
	if err != nil {
		return nil, "", err
	}
	algs := signingAlgs(extra.Algs)
	endpoint := prov.Endpoint()
	endpoint.AuthStyle = p.authStyle(extra.AuthMethods)
	return &oidcDiscovery{
		provider:   prov,
		endpoint:   endpoint,
		idTokens:   oidc.NewVerifier(p.issuer, newOIDCKeySet(keys, algs), &oidc.Config{ClientID: p.cfg.ClientID, SupportedSigningAlgs: algs}),
		endSession: extra.EndSession,
	}, poolKey, nil
}

// close releases the provider's keys; a discovery still running releases
// them itself when it ends.
func (p *oidcProvider) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.poolKey != "" {
		_, err := keyPool.Delete(p.poolKey)
		p.poolKey = ""
		return err
	}
	return nil
}

// authStyle picks how the client authenticates at the token endpoint:
// HTTP Basic unless the provider only takes the secret in the form (or
// there is no secret). A fixed style matters: x/oauth2's auto-detection
// retries a refused exchange the other way, a second try at a code.
func (p *oidcProvider) authStyle(methods []string) oauth2.AuthStyle {
	if p.clientSecret == "" || !slices.Contains(methods, "client_secret_basic") && slices.Contains(methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// oauth returns the OAuth 2.0 client configuration for one callback URL.
func (p *oidcProvider) oauth(d *oidcDiscovery, callback string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.clientSecret,
		Endpoint:     d.endpoint,
		RedirectURL:  callback,
		Scopes:       p.cfg.Scopes,
	}
}

// context bounds a call to the provider and makes go-oidc and x/oauth2
// use the provider's HTTP client.
func (p *oidcProvider) context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(p.cfg.Timeout))
	return oidc.ClientContext(ctx, p.client), cancel
}
