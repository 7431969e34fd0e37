package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"go.uber.org/zap"
	"golang.org/x/oauth2"
	"golang.org/x/time/rate"
)

// errProviderUnavailable means the provider's configuration could not be
// discovered (yet): logins answer 503 provider_unavailable.
var errProviderUnavailable = errors.New("identity provider unavailable")

// oidcProvider is one provisioned oidc block.
type oidcProvider struct {
	cfg          *OIDCConfig
	app          *App
	codec        *loginCodec
	cookies      loginCookies
	issuer       string
	clientSecret string
	client       *http.Client
	logoutRate   *rate.Limiter // back-channel logout posts

	disc    atomic.Pointer[oidcDiscovery] // nil until discovery succeeds
	mu      sync.Mutex                    // one discovery at a time
	lastTry time.Time
}

// oidcDiscovery is what the provider's discovery document told us.
type oidcDiscovery struct {
	provider   *oidc.Provider
	endpoint   oauth2.Endpoint
	idTokens   *oidc.IDTokenVerifier // ID tokens and logout tokens
	endSession string                // "" when the provider has none
}

// discovered returns the provider's configuration, discovering it first
// when needed. While the provider is unreachable it retries at most once
// per discoveryRetry and answers errProviderUnavailable in between, so a
// down provider costs a login one bounded wait at most.
func (p *oidcProvider) discovered(ctx context.Context) (*oidcDiscovery, error) {
	if d := p.disc.Load(); d != nil {
		return d, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := p.disc.Load(); d != nil {
		return d, nil
	}
	if time.Since(p.lastTry) < discoveryRetry {
		return nil, errProviderUnavailable
	}
	p.lastTry = time.Now()
	d, err := p.fetchDiscovery(ctx)
	if err != nil {
		p.app.logger.Warn("oidc discovery failed", zap.String("oidc", p.cfg.Name), zap.String("issuer", p.issuer), zap.Error(err))
		return nil, fmt.Errorf("%w: %v", errProviderUnavailable, err)
	}
	p.disc.Store(d)
	return d, nil
}

// discover runs the first discovery in the background at provisioning.
func (p *oidcProvider) discover(ctx context.Context) {
	defer func() {
		if v := recover(); v != nil {
			p.app.logger.Error("panic in oidc discovery", zap.Any("panic", v))
		}
	}()
	_, _ = p.discovered(ctx)
}

func (p *oidcProvider) fetchDiscovery(ctx context.Context) (*oidcDiscovery, error) {
	// The key set outlives this call: go-oidc keeps only the HTTP client of
	// the context it is given, not its deadline.
	cctx, cancel := p.context(context.WithoutCancel(ctx))
	defer cancel()
	prov, err := oidc.NewProvider(cctx, p.issuer)
	if err != nil {
		return nil, err
	}
	var extra struct {
		EndSession  string   `json:"end_session_endpoint"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	if err := prov.Claims(&extra); err != nil {
		return nil, err
	}
	endpoint := prov.Endpoint()
	endpoint.AuthStyle = p.authStyle(extra.AuthMethods)
	return &oidcDiscovery{
		provider:   prov,
		endpoint:   endpoint,
		idTokens:   prov.Verifier(&oidc.Config{ClientID: p.cfg.ClientID}),
		endSession: extra.EndSession,
	}, nil
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

// oidcClientContext makes go-oidc and x/oauth2 send their requests with c.
func oidcClientContext(ctx context.Context, c *http.Client) context.Context {
	return oidc.ClientContext(ctx, c)
}
