package sessionhttp

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// Sessions is what the endpoints need of the session manager
// (*session.Manager implements it).
type Sessions interface {
	Create(ctx context.Context, ns session.NewSession) (string, *session.Session, error)
	Authenticate(ctx context.Context, token, host string) (*session.Session, error)
	Attest(ctx context.Context, old *session.Session, a session.Attestation) (string, *session.Session, error)
	RevokeToken(ctx context.Context, token string) (*session.Session, error)
	UseIssued(ctx context.Context, key string, issued, until time.Time) (bool, error)
	Denied(ctx context.Context, id *verifier.Identity) (bool, error)
	Deny(ctx context.Context, d session.Denial) (int, error)
}

// ProviderLogout is the identity provider's side of a logout: the gateway
// implements it when it logs browsers in through a provider.
type ProviderLogout interface {
	// ForgetLogins drops what the browser keeps of its recent logins.
	ForgetLogins(w http.ResponseWriter)
	// EndProviderSession answers r so that the provider also ends its
	// session behind s, then sends the browser to target ("" for the
	// provider's default). It reports false, having written nothing, when
	// there is nothing to end.
	EndProviderSession(w http.ResponseWriter, r *http.Request, s *session.Session, target string) bool
}

// Route is the gateway route an endpoint request came in on: the
// endpoints authenticate, end credentials and answer refusals the way
// that route does.
type Route interface {
	// Authenticate verifies the credential r carries, as the route would.
	Authenticate(r *http.Request) (*verifier.Identity, error)
	// Respond answers r with the refusal or failure err (a rejected or
	// missing credential, an unavailable store, …), as the route answers
	// its own requests.
	Respond(w http.ResponseWriter, r *http.Request, err error) error
	// Refuse answers r with status and body, a fixed JSON text; reason is
	// the refusal's reason code.
	Refuse(w http.ResponseWriter, r *http.Request, status int, reason, body string) error
	// Sources lists the route's credential sources with their verifiers.
	Sources() []credential.Route
}

// Config configures the endpoints.
type Config struct {
	// Sessions is the session manager. Required.
	Sessions Sessions
	// Cookie is the session cookie. Its Name is required.
	Cookie Cookie
	// HostOf returns the host (without port) of the request being served.
	// When set, sessions are bound to the host they were created on
	// (bind_host); nil: they are valid on every host of the gateway.
	HostOf func(context.Context) string
	// Exchange verifies the identity-provider tokens that POST to the
	// session endpoint exchanges for a session; nil turns exchange off.
	Exchange verifier.Verifier
	// ExchangeMaxAge is how old (by iat) an exchanged token may be.
	ExchangeMaxAge time.Duration
	// Lifetime is the sessions' absolute cap: a session_duration asked
	// for in an exchange may not exceed it. Required with Exchange.
	Lifetime time.Duration
	// BindToToken ends an exchanged session no later than its token's
	// expiry (bind_to_token).
	BindToToken bool
	// BoundVerifiers names the Exchange verifiers whose sessions end no
	// later than their token's reported expiry whatever BindToToken says:
	// introspect blocks, whose tokens are another service's sessions.
	BoundVerifiers map[string]bool
	// MaxTokenBytes caps the length of a credential. Required.
	MaxTokenBytes int
	// Leeway is the largest clock leeway of the JWT verifiers: a token
	// verifies until its exp plus Leeway, so its once-only and deny-list
	// entries are kept that long.
	Leeway time.Duration
	// ClientContext returns the context an exchanged token is verified
	// in: r's, naming r's client for per-client budgets. nil: r's own.
	ClientContext func(r *http.Request) context.Context
	// Provider ends the provider's side of a logout; nil: sessions never
	// come from a provider login.
	Provider ProviderLogout
	// Bearer lets an exchange answer with the session token in its body
	// ("return":"token"); the session verifier then also reads session
	// tokens as Authorization Bearer (session { bearer on }).
	Bearer bool
}

// Endpoints serves the session endpoints: who am I and token exchange
// (the session endpoint), and logout. Build it with New.
type Endpoints struct {
	cfg Config
}

// New checks cfg and returns the endpoints it configures.
func New(cfg Config) (*Endpoints, error) {
	switch {
	case cfg.Sessions == nil:
		return nil, errors.New("sessionhttp: Sessions is required")
	case cfg.Cookie.Name == "":
		return nil, errors.New("sessionhttp: the cookie name is required")
	case cfg.MaxTokenBytes <= 0:
		return nil, errors.New("sessionhttp: MaxTokenBytes must be positive")
	case cfg.Exchange != nil && cfg.Lifetime <= 0:
		return nil, errors.New("sessionhttp: Lifetime must be positive with Exchange")
	}
	if cfg.ClientContext == nil {
		cfg.ClientContext = (*http.Request).Context
	}
	return &Endpoints{cfg: cfg}, nil
}

// ServeSession serves the session endpoint: GET (and HEAD) tells who the
// caller is, POST exchanges an identity-provider JWT for a session.
func (e *Endpoints) ServeSession(w http.ResponseWriter, r *http.Request, rt Route) error {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		return e.whoami(w, r, rt)
	case http.MethodPost:
		return e.exchange(w, r, rt)
	}
	return methodNotAllowed(w, r, rt, "GET, HEAD, POST")
}

// whoami answers with the caller's identity; for a session, "session" is
// the session object as the admin API shows it.
func (e *Endpoints) whoami(w http.ResponseWriter, r *http.Request, rt Route) error {
	id, err := rt.Authenticate(r)
	if err != nil {
		return rt.Respond(w, r, err)
	}
	view := map[string]any{"user_id": id.Subject, "verifier": id.Verifier, "claims": id.Claims}
	if id.SessionID != "" {
		view["session_id"] = id.SessionID
	}
	if !id.ExpiresAt.IsZero() {
		view["expires_at"] = id.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if s, ok := id.Session.(*session.Session); ok {
		view["session"] = sessionView(s)
	}
	return writeValue(w, r, http.StatusOK, view)
}

// acceptedUntil is the last moment a token that expires at exp can still
// verify: exp plus the largest leeway of the jwt blocks. A once-only
// exchange marker or a deny-list entry must live that long; kept only
// until exp, it would let the same token be exchanged again, or work
// again after logout, for the leeway. Zero stays zero.
func (e *Endpoints) acceptedUntil(exp time.Time) time.Time {
	if exp.IsZero() {
		return exp
	}
	return exp.Add(e.cfg.Leeway)
}

// methodNotAllowed refuses r's method with 405, naming the allowed ones.
func methodNotAllowed(w http.ResponseWriter, r *http.Request, rt Route, allow string) error {
	w.Header().Set("Allow", allow)
	return rt.Refuse(w, r, http.StatusMethodNotAllowed, "method_not_allowed", `{"error":"method_not_allowed"}`)
}

func forbiddenCrossSite(w http.ResponseWriter, r *http.Request, rt Route) error {
	return rt.Refuse(w, r, http.StatusForbidden, "cross_site", `{"error":"forbidden","reason":"cross_site"}`)
}
