package caddymodule

import (
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/authgate/authgate/verifier"
)

// tooManyRequests answers a client over its own budget (of introspection
// calls): 429 with Retry-After. It is the client's doing, not a dependency
// failing, so other clients keep being served; the warning naming the
// client is rate-limited like every repeated warning.
func (h *Handler) tooManyRequests(w http.ResponseWriter, r *http.Request, after time.Duration) error {
	if ce := h.logger.Check(zapcore.WarnLevel, "authgate client over its budget of remote checks"); ce != nil {
		if ok, dropped := h.deps.warnings.Allow(string(verifier.ReasonRateLimited)); ok {
			ce.Write(zap.String("reason", string(verifier.ReasonRateLimited)),
				zap.String("client", verifier.ClientOf(clientContext(r))), zap.Int("suppressed", dropped))
		}
	}
	setRetryAfter(w, max(after, time.Second))
	reason := string(verifier.ReasonRateLimited)
	return writeJSON(w, r, http.StatusTooManyRequests, reason, `{"error":"rate_limited","reason":"`+reason+`"}`)
}

// setRetryAfter sets Retry-After to after in whole seconds, rounded up.
func setRetryAfter(w http.ResponseWriter, after time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int((after+time.Second-1)/time.Second)))
}
