package session

import (
	"context"
	"errors"
	"strings"

	"github.com/authgate/authgate/verifier"
)

// TokenPrefix starts every session token the gateway mints, so that a
// session token is told from the tokens of other verifiers by looking at
// it, without a store lookup: it is never handed to a JWT verifier or
// sent to an introspection endpoint. Tokens minted before the prefix
// existed have none; they still verify as cookies (see WellFormed).
const TokenPrefix = "ags_"

// HasTokenPrefix reports whether tok is in the session token format:
// whether it must be checked by the session verifier and nobody else.
func HasTokenPrefix(tok string) bool { return strings.HasPrefix(tok, TokenPrefix) }

// BearerSource is where session tokens are read from when they are
// accepted as bearer credentials (bearer on): the Authorization header
// with the Bearer scheme.
var BearerSource = verifier.Source{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}

var errNotSessionSource = errors.New("session token where this route does not accept sessions")

// Guard sends credentials in the session token format to the session
// verifier only, and every other credential to the rest of the chain. A
// session token is refused, never passed on: unknown, tampered or revoked
// it is session_revoked (the session verifier's answer), and where no
// session verifier reads its source (bearer off, or a route whose
// verifiers exclude sessions) it is bad_issuer, as a token of a verifier
// the route does not accept.
type Guard struct {
	// Sessions verifies session tokens; nil: this source takes none.
	Sessions verifier.Verifier
	// Others verifies every other credential; nil: none is taken.
	Others verifier.Verifier
}

// Verify implements verifier.Verifier.
func (g *Guard) Verify(ctx context.Context, cred verifier.Credential) (*verifier.Identity, error) {
	if !HasTokenPrefix(cred.Value) {
		if g.Others == nil {
			return nil, verifier.ErrNotResponsible
		}
		return g.Others.Verify(ctx, cred)
	}
	if g.Sessions == nil {
		return nil, verifier.Reject(verifier.ReasonBadIssuer, errNotSessionSource)
	}
	id, err := g.Sessions.Verify(ctx, cred)
	if errors.Is(err, verifier.ErrNotResponsible) {
		return nil, verifier.Reject(verifier.ReasonBadIssuer, errNotSessionSource)
	}
	return id, err
}

// Guarded returns v behind a Guard whose Sessions are the session
// verifiers v holds: v itself when it is a *Verifier, or the *Verifier
// members of a verifier.Chain; none otherwise.
func Guarded(v verifier.Verifier) *Guard {
	g := &Guard{Others: v}
	switch v := v.(type) {
	case *Verifier:
		g.Sessions = v
	case verifier.Chain:
		var sessions verifier.Chain
		for _, member := range v {
			if sv, ok := member.(*Verifier); ok {
				sessions = append(sessions, sv)
			}
		}
		if len(sessions) > 0 {
			g.Sessions = sessions
		}
	}
	return g
}
