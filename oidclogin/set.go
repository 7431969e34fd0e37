package oidclogin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authgate/authgate/internal/logthrottle"
	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// Set is the providers of one configuration: the login and back-channel
// logout endpoints choose among them, and a callback path belongs to one.
// A nil *Set has no providers.
type Set struct {
	opts     Options
	deps     Deps
	byName   map[string]*Provider
	byPath   map[string]*Provider // callback URL paths
	failures *logthrottle.Limiter // "login failed" warnings, at a bounded rate
}

// NewSet returns an empty set of providers.
func NewSet(opts Options, deps Deps) *Set {
	return &Set{
		opts: opts, deps: deps,
		byName:   map[string]*Provider{},
		byPath:   map[string]*Provider{},
		failures: logthrottle.New(10*time.Second, 5, nil),
	}
}

// Provider is one provisioned oidc block.
type Provider struct {
	cfg     Config
	set     *Set
	ctx     context.Context // the configuration's lifetime: discovery stops with it
	cookies loginCookies
	client  *http.Client
	limits  limits

	disc     atomic.Pointer[discovery] // nil until discovery succeeds
	mu       sync.Mutex                // guards the fields below
	inflight chan struct{}             // closed when the running discovery ends
	lastFail time.Time
	release  func() error // lets go of the keys, once discovered
	closed   bool
}

// Add provisions a provider and starts its discovery in the background;
// ctx is the configuration's lifetime. A provider that cannot be reached
// yet makes its logins answer 503 until it can.
func (s *Set) Add(ctx context.Context, cfg Config) (*Provider, error) {
	if _, dup := s.byName[cfg.Name]; dup {
		return nil, fmt.Errorf("oidc %s defined twice", cfg.Name)
	}
	p := &Provider{
		cfg: cfg, set: s, ctx: ctx,
		cookies: newLoginCookies(!s.opts.InsecureCookies),
		client:  newProviderClient(cfg.Timeout),
		limits:  newLimits(cfg),
	}
	// A path belongs to one provider: the callback is chosen by path alone.
	for _, path := range p.CallbackPaths() {
		if _, taken := s.byPath[path]; taken {
			return nil, fmt.Errorf("oidc %s: callback_url path %s is used by another oidc block", cfg.Name, path)
		}
	}
	for _, path := range p.CallbackPaths() {
		s.byPath[path] = p
	}
	s.byName[cfg.Name] = p
	p.startDiscovery()
	return p, nil
}

// Get returns the provider called name, or nil.
func (s *Set) Get(name string) *Provider {
	if s == nil {
		return nil
	}
	return s.byName[name]
}

// Len is the number of providers.
func (s *Set) Len() int {
	if s == nil {
		return 0
	}
	return len(s.byName)
}

// Close releases every provider's keys; a discovery still running
// releases them itself when it ends.
func (s *Set) Close() error {
	var errs []error
	for _, p := range s.byName {
		errs = append(errs, p.close())
	}
	return errors.Join(errs...)
}

// Name is the provider's name.
func (p *Provider) Name() string { return p.cfg.Name }

// CallbackPaths are the paths of p's callback URLs, sorted, each once.
func (p *Provider) CallbackPaths() []string {
	var paths []string
	for _, u := range p.cfg.CallbackURLs {
		paths = append(paths, u.Path)
	}
	sort.Strings(paths)
	return slices.Compact(paths)
}

// atCallback reports whether r's original path is a callback of any
// provider of the set.
func (s *Set) atCallback(r *http.Request) bool {
	_, ok := s.byPath[s.deps.Requests.OriginalURL(r).Path]
	return ok
}

// subject builds the canonical subject of a provider's "sub".
func (p *Provider) subject(sub string) string {
	return strings.ReplaceAll(p.cfg.SubjectTemplate, "{sub}", sub)
}

// sessionClaims picks the claims a login copies into the session: not
// the protocol claims, nor the registered ones (they describe the token,
// not the user), and only the configured ones when claims are named.
// Token claim times are not trusted: every SuperTokens value {"v","t"}, at
// any depth, is stored with t capped at the ID token's iat, so a value
// never looks fresher than the token that carried it.
func (p *Provider) sessionClaims(all map[string]any, iat time.Time) map[string]any {
	out := make(map[string]any, len(all))
	for k, v := range all {
		if protocolClaims[k] || session.IsReserved(k) || len(p.cfg.Claims) > 0 && !slices.Contains(p.cfg.Claims, k) {
			continue
		}
		out[k] = v
	}
	return verifier.CapClaimTimes(out, iat)
}
