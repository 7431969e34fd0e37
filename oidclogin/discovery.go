package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/authgate/authgate/internal/redact"
)

// errProviderUnavailable means the provider's configuration or keys could
// not be had (yet): logins answer 503 provider_unavailable.
var errProviderUnavailable = errors.New("identity provider unavailable")

const (
	// discoveryWait is the longest a request waits for a discovery in
	// flight before it answers 503.
	discoveryWait = time.Second
	// discoveryRetry is the least time between two discovery attempts
	// while the provider is unreachable: logins fail fast meanwhile.
	discoveryRetry = 2 * time.Second
)

// discovery is what the provider's discovery document told us.
type discovery struct {
	provider   *oidc.Provider
	endpoint   oauth2.Endpoint
	idTokens   *oidc.IDTokenVerifier // ID tokens and logout tokens
	endSession string                // "" when the provider has none
}

// discovered returns the provider's configuration. Discovery runs in the
// background, one at a time, and at most once per discoveryRetry after a
// failure; a request waits for one in flight at most discoveryWait, so a
// provider that hangs costs each login a second, never a queue.
func (p *Provider) discovered(ctx context.Context) (*discovery, error) {
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
func (p *Provider) startDiscovery() <-chan struct{} {
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

func (p *Provider) runDiscovery(done chan struct{}) {
	var d *discovery
	var release func() error
	err := errors.New("discovery panicked")
	defer close(done)
	defer p.finishDiscovery(&d, &release, &err)
	d, release, err = p.fetchDiscovery()
}

// finishDiscovery records a discovery's outcome, a panic included, so the
// next one can start.
func (p *Provider) finishDiscovery(d **discovery, release *func() error, errp *error) {
	log := p.set.deps.Log
	if v := recover(); v != nil {
		log.Error("panic in oidc discovery", "panic", redact.Text(fmt.Sprint(v)))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight = nil
	if err := *errp; err != nil {
		p.lastFail = time.Now()
		log.Warn("oidc discovery failed", "oidc", p.cfg.Name, "issuer", redact.URL(p.cfg.Issuer), "error", redact.Error(err))
		return
	}
	if p.closed {
		_ = (*release)()
		return
	}
	p.release = *release
	p.disc.Store(*d)
}

// fetchDiscovery reads the discovery document and sets up the provider's
// keys (from the KeyLoader) and clients.
func (p *Provider) fetchDiscovery() (*discovery, func() error, error) {
	ctx, cancel := p.context(p.ctx)
	defer cancel()
	prov, err := oidc.NewProvider(ctx, p.cfg.Issuer)
	if err != nil {
		return nil, nil, err
	}
	var extra struct {
		JWKS        string   `json:"jwks_uri"`
		EndSession  string   `json:"end_session_endpoint"`
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
		Algs        []string `json:"id_token_signing_alg_values_supported"`
	}
	if err := prov.Claims(&extra); err != nil {
		return nil, nil, err
	}
	if extra.JWKS == "" {
		return nil, nil, fmt.Errorf("discovery document has no jwks_uri")
	}
	if u, err := url.Parse(extra.EndSession); err != nil || u.Scheme != "https" && u.Scheme != "http" || u.Host == "" {
		extra.EndSession = "" // only ever an http(s) URL becomes a form action
	}
	keys, release, err := p.set.deps.Keys(p.ctx, extra.JWKS)
	if err != nil {
		return nil, nil, err
	}
	algs := signingAlgs(extra.Algs)
	endpoint := prov.Endpoint()
	endpoint.AuthStyle = p.authStyle(extra.AuthMethods)
	return &discovery{
		provider:   prov,
		endpoint:   endpoint,
		idTokens:   oidc.NewVerifier(p.cfg.Issuer, newKeySet(keys, algs), &oidc.Config{ClientID: p.cfg.ClientID, SupportedSigningAlgs: algs}),
		endSession: extra.EndSession,
	}, release, nil
}

// close releases the provider's keys; a discovery still running releases
// them itself when it ends.
func (p *Provider) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.client.CloseIdleConnections()
	if p.release != nil {
		err := p.release()
		p.release = nil
		return err
	}
	return nil
}

// authStyle picks how the client authenticates at the token endpoint:
// HTTP Basic unless the provider only takes the secret in the form (or
// there is no secret). A fixed style matters: x/oauth2's auto-detection
// retries a refused exchange the other way, a second try at a code.
func (p *Provider) authStyle(methods []string) oauth2.AuthStyle {
	if p.cfg.ClientSecret == "" || !slices.Contains(methods, "client_secret_basic") && slices.Contains(methods, "client_secret_post") {
		return oauth2.AuthStyleInParams
	}
	return oauth2.AuthStyleInHeader
}

// oauth returns the OAuth 2.0 client configuration for one callback URL.
func (p *Provider) oauth(d *discovery, callback string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     p.cfg.ClientID,
		ClientSecret: p.cfg.ClientSecret,
		Endpoint:     d.endpoint,
		RedirectURL:  callback,
		Scopes:       p.cfg.Scopes,
	}
}

// context bounds a call to the provider and makes go-oidc and x/oauth2
// use the provider's HTTP client.
func (p *Provider) context(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.Timeout)
	return oidc.ClientContext(ctx, p.client), cancel
}
