package verifier

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/internal/httpx"
	"github.com/authgate/authgate/internal/safecache"
)

// IntrospectMode selects the protocol an IntrospectVerifier speaks.
type IntrospectMode string

const (
	// IntrospectJSON calls a session endpoint: it posts {"<TokenField>":
	// token}, or forwards the token in a cookie or header (whoami style).
	// A 2xx answer is a valid session, 401 and 403 an invalid one.
	IntrospectJSON IntrospectMode = "json"
	// IntrospectRFC7662 posts the form token=<token> (RFC 7662 section
	// 2.1) and reads active, sub, exp and iss from the answer.
	IntrospectRFC7662 IntrospectMode = "rfc7662"
)

// Defaults for IntrospectConfig.
const (
	defaultIntrospectTimeout    = 2 * time.Second
	defaultIntrospectBody       = 256 << 10
	defaultIntrospectCache      = 16 << 20
	defaultIntrospectConcurrent = 64
	defaultIntrospectRate       = 100
)

// IntrospectConfig configures an IntrospectVerifier. NewIntrospectVerifier
// validates it.
type IntrospectConfig struct {
	// Name is the verifier's name; it becomes Identity.Verifier and is part
	// of every cache key. Required.
	Name string
	// URL is the introspection or session endpoint, http or https. Required.
	URL string
	// Mode is the protocol. Default: IntrospectJSON.
	Mode IntrospectMode
	// Method is the HTTP method, GET or POST. Default: POST, or GET when
	// Forward is set. RFC 7662 mode always posts.
	Method string
	// Forward, when set, sends the token in this cookie or header (with its
	// Scheme, if any) and no body, like a whoami call. JSON mode only.
	Forward *Source
	// InactiveStatus lists the HTTP statuses by which a JSON-mode service
	// says a token is not (or no longer) a session; any other non-2xx status
	// is a failure. Default: 401 and 403. (Stytch answers 404
	// session_not_found.)
	InactiveStatus []int
	// TokenField is the member of the JSON body that carries the token.
	// Default: "token".
	TokenField string
	// SubjectPath is where the subject sits in a JSON answer (a claim path,
	// see claims.Lookup); a 2xx answer without a non-empty string there is
	// inactive. Default: "sub".
	SubjectPath string
	// ClaimsPath names an object in a JSON answer whose members become
	// claims. Default: none (the only claim is sub).
	ClaimsPath string
	// SubjectTemplate builds Identity.Subject of Verify: "{sub}" is replaced
	// by the service's subject. Recheck always reports the service's own
	// subject, which a re-checked JWT's sub is compared with.
	// Default: "{sub}".
	SubjectTemplate string
	// ExpiresPath is where the session's expiry sits in a JSON answer, as
	// RFC 3339 or unix seconds. Default: none.
	ExpiresPath string
	// IssuedAtPath is where the token's issue time sits in the answer (in
	// either mode), as RFC 3339 or unix seconds. Only Exchanger reads it:
	// the identities of Verify are as fresh as the answer. Default: none.
	IssuedAtPath string
	// ClientID and ClientSecret, when set, authenticate the gateway with
	// HTTP Basic (RFC 6749 section 2.3.1).
	ClientID, ClientSecret string
	// CacheTTL is how long an active answer is reused, never beyond the
	// expiry the answer reports. 0 disables the positive cache.
	CacheTTL time.Duration
	// NegativeCacheTTL is how long an inactive answer is reused. 0 disables
	// the negative cache. Failures are never cached.
	NegativeCacheTTL time.Duration
	// CacheBytes bounds the cache, in bytes. Default: 16 MiB.
	CacheBytes int64
	// Timeout bounds each call, waiting for a free slot included.
	// Default: 2s.
	Timeout time.Duration
	// MaxBodyBytes caps the answer's body. Default: 256 KiB.
	MaxBodyBytes int64
	// AllowBoundTokens accepts, in rfc7662 mode, tokens the answer reports
	// as sender-constrained (a cnf member, or token_type DPoP), whose
	// proof of possession the gateway does not check. Default: false, such
	// tokens are refused with ReasonUnsupportedBinding.
	AllowBoundTokens bool
	// MaxTokenBytes caps the token; longer ones are refused without a call
	// (too_large). Default: 8192.
	MaxTokenBytes int
	// MinTokenBytes and TokenPattern describe what a credential of the
	// service looks like: a shorter one, or one the pattern does not match
	// in full, is refused as malformed without a call. Re-checks of
	// verified JWTs skip both. Defaults: 0 and nil, no check.
	MinTokenBytes int
	TokenPattern  *regexp.Regexp
	// ClientRate and ClientBurst are each client's budget of calls, per
	// second and in a burst, for credentials (not re-checks) of requests
	// whose context names the client (WithClient). A call that finds an
	// active session is given back, so only junk and dead tokens spend it.
	// A client over its budget gets ReasonRateLimited without a call.
	// Default: 0, no per-client budget.
	ClientRate  float64
	ClientBurst int
	// MaxConcurrent caps the calls in flight at once. Default: 64.
	MaxConcurrent int
	// RateLimit caps the calls started per second (bursts of as many).
	// Default: 100.
	RateLimit float64
	// MaxClaims and MaxDepth cap the claims an answer may carry; a larger
	// answer is a failure of the service. Defaults: 256 and 16.
	MaxClaims, MaxDepth int
	// Client is the base HTTP client; redirects are never followed.
	// Default: a client with its own connection pool.
	Client *http.Client
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Observer, if set, is told of every verification and every call.
	Observer Observer
}

// IntrospectVerifier checks opaque tokens (and re-checks JWTs) by asking a
// remote session service, with a cache of answers keyed by a SHA-256 of its
// name and the token, one call per token at a time, and a cap on calls in
// flight and per second. It is safe for concurrent use; Close releases it.
type IntrospectVerifier struct {
	cfg     IntrospectConfig
	client  *http.Client
	cache   *safecache.Cache[string, introspection]
	flights singleflight.Group
	slots   chan struct{}
	limiter *rate.Limiter
	clients *clientlimit.Table // nil: no per-client budget
	// networks holds the budgets of IPv6 networks (clientlimit.Network).
	networks *clientlimit.Table
	charged  sync.Map // keys of calls charged to a client and not yet done
	auth     string   // Authorization header value for client credentials

	// closing guards cache writes against Close: ristretto's Wait on a
	// closed cache would block forever.
	closing sync.RWMutex
	closed  bool
}

// NewIntrospectVerifier applies defaults to cfg, checks it and returns the
// verifier.
func NewIntrospectVerifier(cfg IntrospectConfig) (*IntrospectVerifier, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("configuring introspection verifier %q: %w", cfg.Name, err)
	}
	cache, err := newIntrospectCache(cfg.CacheBytes)
	if err != nil {
		return nil, fmt.Errorf("configuring introspection verifier %q: %w", cfg.Name, err)
	}
	v := &IntrospectVerifier{
		cfg:     cfg,
		client:  introspectClient(cfg.Client, cfg.Timeout, cfg.MaxConcurrent),
		cache:   cache,
		slots:   make(chan struct{}, cfg.MaxConcurrent),
		limiter: rate.NewLimiter(rate.Limit(cfg.RateLimit), max(int(cfg.RateLimit), 1)),
	}
	if cfg.ClientRate > 0 {
		v.clients = clientlimit.New(cfg.ClientRate, max(cfg.ClientBurst, 1), 0, cfg.Now)
		v.networks = clientlimit.New(cfg.ClientRate*clientlimit.NetworkFactor, max(cfg.ClientBurst, 1)*clientlimit.NetworkFactor, 0, cfg.Now)
	}
	if cfg.ClientID != "" {
		pair := url.QueryEscape(cfg.ClientID) + ":" + url.QueryEscape(cfg.ClientSecret)
		v.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(pair))
	}
	return v, nil
}

func (c IntrospectConfig) withDefaults() IntrospectConfig {
	if c.Mode == "" {
		c.Mode = IntrospectJSON
	}
	c.Method = strings.ToUpper(c.Method)
	if c.Method == "" {
		c.Method = http.MethodPost
		if c.Forward != nil {
			c.Method = http.MethodGet
		}
	}
	c.InactiveStatus = slices.Clone(c.InactiveStatus)
	if len(c.InactiveStatus) == 0 && c.Mode == IntrospectJSON {
		c.InactiveStatus = []int{http.StatusUnauthorized, http.StatusForbidden}
	}
	if c.TokenField == "" {
		c.TokenField = "token"
	}
	if c.SubjectPath == "" {
		c.SubjectPath = "sub"
	}
	if c.SubjectTemplate == "" {
		c.SubjectTemplate = "{sub}"
	}
	defaultIfZero(&c.CacheBytes, defaultIntrospectCache)
	defaultIfZero(&c.Timeout, defaultIntrospectTimeout)
	defaultIfZero(&c.MaxBodyBytes, defaultIntrospectBody)
	defaultIfZero(&c.MaxTokenBytes, defaultMaxTokenBytes)
	defaultIfZero(&c.MaxConcurrent, defaultIntrospectConcurrent)
	defaultIfZero(&c.RateLimit, defaultIntrospectRate)
	defaultIfZero(&c.MaxClaims, defaultMaxClaims)
	defaultIfZero(&c.MaxDepth, defaultMaxDepth)
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// defaultIfZero sets *p to def when it is zero; negative values are left
// for validate to refuse.
func defaultIfZero[T int | int64 | float64 | time.Duration](p *T, def T) {
	if *p == 0 {
		*p = def
	}
}

// validate checks a defaulted config, reporting every problem at once.
func (c IntrospectConfig) validate() error {
	var errs []error
	add := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	add(c.Name != "", "name is required")
	add(strings.Contains(c.SubjectTemplate, "{sub}"), "subject template must contain {sub}")
	add(validEndpoint(c.URL), "url must be an absolute http or https URL")
	add(c.Mode == IntrospectJSON || c.Mode == IntrospectRFC7662, `mode must be "json" or "rfc7662"`)
	add(c.Method == http.MethodGet || c.Method == http.MethodPost, "method must be GET or POST")
	add(c.Method == http.MethodPost || c.Forward != nil, "a GET call needs forward cookie or forward header")
	add(c.Mode == IntrospectJSON || (c.Method == http.MethodPost && c.Forward == nil), "rfc7662 mode posts the token: no method GET, no forward")
	add(c.Mode == IntrospectJSON || (c.ClaimsPath == "" && c.ExpiresPath == "" && c.SubjectPath == "sub"), "subject, claims and expires paths are for json mode")
	add(c.ClientSecret == "" || c.ClientID != "", "client secret without client id")
	add(c.Mode == IntrospectJSON || len(c.InactiveStatus) == 0, "inactive statuses are for json mode (rfc7662 says active:false)")
	add(!slices.ContainsFunc(c.InactiveStatus, func(s int) bool { return s < 300 || s > 599 }), "inactive statuses must be 3xx, 4xx or 5xx")
	add(c.Forward == nil || validForward(*c.Forward), "forward needs a cookie or header name")
	add(c.Forward == nil || c.ClientID == "" || !strings.EqualFold(c.Forward.Name, "Authorization") || c.Forward.Kind != SourceHeader,
		"forward header Authorization conflicts with client credentials")
	add(c.CacheTTL >= 0 && c.NegativeCacheTTL >= 0 && c.Timeout > 0, "durations must not be negative")
	add(c.CacheBytes > 0 && c.MaxBodyBytes > 0 && c.MaxTokenBytes > 0, "sizes must be positive")
	add(c.MinTokenBytes >= 0 && c.MinTokenBytes <= c.MaxTokenBytes, "the minimum token length must lie between 0 and the maximum")
	add(c.ClientRate >= 0 && c.ClientBurst >= 0, "the client budget must not be negative")
	add(c.MaxConcurrent > 0 && c.RateLimit > 0 && c.MaxClaims > 0 && c.MaxDepth > 0, "limits must be positive")
	return errors.Join(errs...)
}

func validEndpoint(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

func validForward(s Source) bool {
	switch s.Kind {
	case SourceCookie:
		return s.Name != "" && s.Scheme == ""
	case SourceHeader:
		return s.Name != ""
	}
	return false
}

// introspectClient returns a copy of base (or a fresh client keeping conns
// idle connections) that never follows redirects: a 3xx from a session
// service is a failure, not a hint to send the token elsewhere.
func introspectClient(base *http.Client, timeout time.Duration, conns int) *http.Client {
	if base == nil {
		base = &http.Client{Transport: httpx.NewTransport(conns)}
	}
	return httpx.NewClient(base, timeout)
}

// Name returns the verifier's name.
func (v *IntrospectVerifier) Name() string { return v.cfg.Name }

// Close stops the cache's goroutines and drops idle connections. Calls
// still in flight finish; their answers are no longer cached.
func (v *IntrospectVerifier) Close() {
	v.closing.Lock()
	v.closed = true
	v.closing.Unlock()
	v.cache.Close()
	v.client.CloseIdleConnections()
}
