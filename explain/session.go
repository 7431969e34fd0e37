package explain

import (
	"context"
	"slices"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// SessionTrace is the edge session a credential names: what made it,
// whether the route admits sessions of that origin, and its times. It
// never holds the session token, its hash or the login's ID token.
type SessionTrace struct {
	ID string `json:"id"`
	// Origin names what made the session: the jwt or introspect verifier
	// whose token was exchanged, the oidc block of a login, or "session"
	// for a session made through the admin API.
	Origin string `json:"origin"`
	// Admitted says whether the route's `verifiers` list admits sessions
	// of Origin (a route's verifiers bind the sessions it accepts);
	// RouteOrigins are the origins it admits, absent when it admits
	// every session.
	Admitted     bool     `json:"admitted"`
	RouteOrigins []string `json:"route_origins,omitempty"`
	// Host is the site a bind_host session is bound to.
	Host           string `json:"host,omitempty"`
	StartedAt      string `json:"started_at"`
	LastAccessedAt string `json:"last_accessed_at"`
	IdleExpiresAt  string `json:"idle_expires_at"`
	ExpiresAt      string `json:"expires_at"`
	// TokenExpiresAt is the expiry of the token the session was exchanged
	// from; BoundToToken says the session ends no later than it
	// (bind_to_token, or a migrated introspection token).
	TokenExpiresAt string `json:"token_expires_at,omitempty"`
	BoundToToken   bool   `json:"bound_to_token,omitempty"`
	// Factors are the authentications that went into the session, oldest
	// first.
	Factors []FactorTrace `json:"factors,omitempty"`
}

// FactorTrace is one authentication of a session.
type FactorTrace struct {
	Verifier string   `json:"verifier"`
	AMR      []string `json:"amr,omitempty"`
	At       string   `json:"at"`
}

// sessionTrace describes the session behind a credential that the edge
// session verifier sv answered: from the identity it accepted, or, when
// it refused the session for its origin (bad_issuer), from a second dry
// read of the session without the route's origin filter, so the trace
// can name the origin the route does not admit.
func sessionTrace(ctx context.Context, sv *session.Verifier, cred verifier.Credential, id *verifier.Identity, err error) *SessionTrace {
	var s *session.Session
	switch {
	case id != nil:
		s, _ = id.Session.(*session.Session)
	case sv.Origins != nil && verifier.ReasonOf(err) == verifier.ReasonBadIssuer:
		host := ""
		if sv.HostOf != nil {
			host = sv.HostOf(ctx)
		}
		s, _ = sv.Manager.Authenticate(ctx, cred.Value, host) // ctx is a dry run: no touch
	}
	if s == nil {
		return nil
	}
	st := &SessionTrace{ID: s.ID, Origin: s.Origin(), Admitted: sv.Origins == nil || sv.Origins[s.Origin()], Host: s.Host,
		StartedAt: timeText(s.Created), LastAccessedAt: timeText(s.LastSeen), IdleExpiresAt: timeText(s.IdleExpires),
		ExpiresAt: timeText(s.Expires)}
	for o := range sv.Origins {
		st.RouteOrigins = append(st.RouteOrigins, o)
	}
	slices.Sort(st.RouteOrigins)
	if !s.SourceExpires.IsZero() {
		st.TokenExpiresAt = timeText(s.SourceExpires)
		st.BoundToToken = !s.Expires.After(s.SourceExpires)
	}
	for _, f := range s.AuthFactors() {
		st.Factors = append(st.Factors, FactorTrace{Verifier: f.Verifier, AMR: f.AMR, At: timeText(f.At)})
	}
	return st
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
