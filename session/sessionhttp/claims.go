package sessionhttp

import (
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// customClaims returns the claims a session exchanged from a token keeps:
// the token's claims without the registered ones, which describe the token
// rather than the user.
//
// Session claim times are trusted (the gateway writes them), token claim
// times are not: every SuperTokens value {"v","t"} from the token, at any
// depth, is stored with t capped at the token's iat, so a value never looks
// fresher than the token that carried it, and a future t counts as iat. A
// zero iat counts as now.
func customClaims(claims map[string]any, iat time.Time) map[string]any {
	if iat.IsZero() {
		iat = time.Now()
	}
	out := make(map[string]any, len(claims))
	for k, v := range claims {
		if !session.IsReserved(k) {
			out[k] = v
		}
	}
	return verifier.CapClaimTimes(out, iat)
}
