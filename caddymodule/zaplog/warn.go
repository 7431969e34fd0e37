package zaplog

import (
	"time"

	"github.com/authgate/authgate/internal/logthrottle"
)

// Repeated warnings (a dependency down under load, a flooding client) are
// written at most warnBurst times per warnInterval each; the next line
// written says how many were dropped.
const (
	warnInterval = 10 * time.Second
	warnBurst    = 10
)

// NewWarnLimiter returns the limiter of repeated warnings: at most 10 lines
// per key every 10 seconds, the next line written saying how many were
// dropped.
func NewWarnLimiter() *logthrottle.Limiter {
	return logthrottle.New(warnInterval, warnBurst, nil)
}
