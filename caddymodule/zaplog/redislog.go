package zaplog

import (
	"context"
	"fmt"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/authgate/authgate/internal/logthrottle"
	"github.com/authgate/authgate/internal/redact"
)

// redisLogger writes go-redis's own lines (failed dials, dropped pub/sub
// connections, protocol fallbacks) to zap as rate-limited warnings,
// instead of the raw lines go-redis prints on stderr by default. Its text
// is redacted like any error that may quote a configured URL.
type redisLogger struct {
	logger *zap.Logger
	limit  *logthrottle.Limiter
}

// UseRedisLogger routes go-redis's process-wide logger to logger. Each
// config sets it again when it starts (never when it is only provisioned:
// a config that fails to load or is only validated must not take it), so
// the lines follow the running logging configuration; go-redis swaps its
// logger atomically.
func UseRedisLogger(logger *zap.Logger) {
	redis.SetLogger(redisLogger{logger: logger.Named("redis"), limit: NewWarnLimiter()})
}

// Printf implements go-redis's logging interface.
func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	ce := l.logger.Check(zapcore.WarnLevel, "redis client")
	if ce == nil {
		return
	}
	if ok, dropped := l.limit.Allow("redis"); ok {
		ce.Write(zap.String("detail", redact.Text(fmt.Sprintf(format, v...))), zap.Int("suppressed", dropped))
	}
}
