package session

import (
	"context"
	"time"

	"github.com/authgate/authgate/verifier"
)

// VerifierName is the name edge sessions go by in `verifiers` lists, and
// the Identity.Verifier of sessions created through the admin API.
const VerifierName = "session"

// Verifier accepts session tokens from the session cookie and, with
// Bearer, tokens in the session format (TokenPrefix) from BearerSource.
// Credentials from any other source are not its business
// (verifier.ErrNotResponsible).
type Verifier struct {
	Manager *Manager
	// Cookie is the session cookie's name.
	Cookie string
	// Bearer also accepts session tokens as Authorization Bearer
	// credentials (session { bearer on }).
	Bearer bool
	// HostOf returns the request's host, for sessions bound to one site.
	// Nil: sessions are not checked against a host.
	HostOf func(context.Context) string
	// Origins, when not nil, limits the sessions accepted to those whose
	// Origin it holds; others are refused with reason bad_issuer, as a
	// token of a verifier the route does not accept is. Nil: every session.
	Origins map[string]bool
	// Observer, if set, is told of every session token verified, as
	// verifier VerifierName, with whether the session cache answered.
	Observer verifier.Observer
}

// Verify implements verifier.Verifier. The identity returned is shared with
// the cache and must not be modified.
func (v *Verifier) Verify(ctx context.Context, cred verifier.Credential) (*verifier.Identity, error) {
	if !v.reads(cred) {
		return nil, verifier.ErrNotResponsible
	}
	host := ""
	if v.HostOf != nil {
		host = v.HostOf(ctx)
	}
	var start time.Time
	if v.Observer != nil {
		start = time.Now()
	}
	e, hit, err := v.Manager.authenticate(ctx, cred.Value, host, v.Origins)
	name := ""
	if err == nil {
		name = VerifierName
		verifier.NoteCache(ctx, hit)
	}
	if v.Observer == nil {
		return e.id, err
	}
	v.Observer.Verified(name, verifier.ReportedReason(err), verifier.CacheResultOf(hit), time.Since(start))
	return e.id, err
}

// reads reports whether cred is the verifier's to check: the session
// cookie, or a prefixed token in BearerSource when Bearer is on. Tokens
// without the prefix in a header belong to other verifiers.
func (v *Verifier) reads(cred verifier.Credential) bool {
	if cred.Source.Kind == verifier.SourceCookie {
		return cred.Source.Name == v.Cookie
	}
	return v.Bearer && cred.Source == BearerSource && HasTokenPrefix(cred.Value)
}

// Sources lists where the verifier reads session tokens from: the session
// cookie, and BearerSource when Bearer is on.
func (v *Verifier) Sources() []verifier.Source {
	out := []verifier.Source{{Kind: verifier.SourceCookie, Name: v.Cookie}}
	if v.Bearer {
		out = append(out, BearerSource)
	}
	return out
}

// identity builds the verified identity of a live session.
func identity(s *Session) *verifier.Identity {
	claims := make(map[string]any, len(s.Claims)+1)
	for k, v := range s.Claims {
		claims[k] = v
	}
	claims["sub"] = s.UserID
	name := s.Verifier
	if name == "" {
		name = VerifierName
	}
	return &verifier.Identity{
		Verifier: name, Subject: s.UserID, SessionID: s.ID, Session: s, TokenID: s.SourceJTI,
		IssuedAt: claimsAt(s), ExpiresAt: s.ExpiresAt(), ValidUntil: s.ExpiresAt(),
		ClaimTimesTrusted: true, Claims: claims,
	}
}

// claimsAt is the age base of a session's plain claim values (records
// written before ClaimsAt existed fall back to Created).
func claimsAt(s *Session) time.Time {
	if s.ClaimsAt.IsZero() {
		return s.Created
	}
	return s.ClaimsAt
}
