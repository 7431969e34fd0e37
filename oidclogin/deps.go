package oidclogin

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// Deps are the collaborators a Set of providers works through. Every field
// but Observer and RequestLog is required.
type Deps struct {
	// Sessions stores the edge sessions logins end in.
	Sessions Sessions
	// Markers remember one-time uses: login states and logout tokens.
	Markers Markers
	// Cookies reads and sets the browser's edge-session cookie.
	Cookies SessionCookies
	// Requests reads what the server knows about a request beyond
	// *http.Request, and is told what the login answered.
	Requests Requests
	// Keys loads a provider's signing keys from its jwks_uri.
	Keys KeyLoader
	// Codec seals login-state cookies (see NewCodec).
	Codec *Codec
	// Log receives the lines about the providers themselves (discovery).
	Log Logger
	// Observer, if set, is told of every login started, completed or
	// failed.
	Observer Observer
	// RequestLog receives the lines about the requests the logins serve
	// (refusals, failed logins, clients over their limits, back-channel
	// logouts): the server logs them where it logs its other lines about
	// requests. nil: Log.
	RequestLog Logger
}

// requestLog is where lines about a request go (see Deps.RequestLog).
func (d *Deps) requestLog() Logger {
	if d.RequestLog != nil {
		return d.RequestLog
	}
	return d.Log
}

// Sessions is what a login needs of the edge-session store. Link and
// Linked keep the provider's session ids (sid) for back-channel logout.
// *session.Manager implements it.
type Sessions interface {
	// Create stores a new session and returns its token.
	Create(ctx context.Context, ns session.NewSession) (token string, s *session.Session, err error)
	// Link remembers value under key until the given time.
	Link(ctx context.Context, key, value string, until time.Time) error
	// Linked returns the value of key, or session.ErrNotFound.
	Linked(ctx context.Context, key string) (string, error)
	// RevokeWhere revokes the sessions of userID that match and returns
	// how many it revoked.
	RevokeWhere(ctx context.Context, userID string, match func(*session.Session) bool) (int, error)
}

// Markers are one-time markers: a key is used once until it expires.
// *session.Manager implements it.
type Markers interface {
	// Use reports whether this is the first use of key before until.
	Use(ctx context.Context, key string, until time.Time) (bool, error)
	// UseIssued is Use for a key issued at the given time: one issued
	// before the store may have lost its data counts as used.
	UseIssued(ctx context.Context, key string, issued, until time.Time) (bool, error)
}

// SessionCookies is the browser side of edge sessions.
type SessionCookies interface {
	// Carried reports whether r carries a session cookie.
	Carried(r *http.Request) bool
	// EndCarried revokes every session whose cookie r carries. Store
	// failures are *verifier.UnavailableError; unusable cookies are any
	// other error.
	EndCarried(r *http.Request) error
	// Set sets the session cookie of a new session.
	Set(w http.ResponseWriter, token string, expires time.Time)
	// BoundHost is the host a session created for r is bound to, "" when
	// sessions are valid on every host.
	BoundHost(r *http.Request) string
}

// Requests reads what the HTTP server knows about a request that
// *http.Request alone does not say, and is told what the login answered.
type Requests interface {
	// ClientKey is the client r counts against in per-client limits.
	ClientKey(r *http.Request) string
	// Scheme is the scheme the client used (forwarded headers count only
	// from trusted proxies).
	Scheme(r *http.Request) string
	// OriginalURL is r's URL before any rewrite.
	OriginalURL(r *http.Request) *url.URL
	// Answered is told the status and reason of each answer the login
	// writes itself, but for a callback's final redirect.
	Answered(r *http.Request, status int, reason string)
}

// Logger receives log lines with key-value pairs, as in log/slog. No line
// holds a token, cookie value, key or secret.
type Logger interface {
	// Debug logs a refusal of a client's request.
	Debug(msg string, kv ...any)
	// Info logs what the provider asked for (a back-channel logout).
	Info(msg string, kv ...any)
	// Warn logs a technical fault or a client over its limits.
	Warn(msg string, kv ...any)
	// Error logs a fault that should not happen (a panic recovered).
	Error(msg string, kv ...any)
}

// KeyLoader returns the key source of a provider's jwks_uri and a release
// function the provider calls once it no longer needs the keys.
type KeyLoader func(ctx context.Context, jwksURL string) (keys verifier.KeySource, release func() error, err error)
