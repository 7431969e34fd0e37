package zaplog

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

// TestRedisLoggerWritesRateLimitedRedactedWarnings: go-redis's own lines
// become warnings of the logger authgate.redis, with configured URLs
// redacted and repeats suppressed and counted.
func TestRedisLoggerWritesRateLimitedRedactedWarnings(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	l := redisLogger{logger: zap.New(core).Named("redis"), limit: NewWarnLimiter()}
	for range warnBurst + 5 {
		l.Printf(context.Background(), "dial %s: %v", "redis://:hunter2@redis.internal:6379/0", "refused")
	}
	entries := logs.All()
	if len(entries) != warnBurst {
		t.Fatalf("%d lines written, want %d", len(entries), warnBurst)
	}
	e := entries[0]
	detail, _ := e.ContextMap()["detail"].(string)
	if e.Level != zapcore.WarnLevel || e.LoggerName != "redis" || e.Message != "redis client" ||
		!strings.Contains(detail, "refused") || strings.Contains(detail, "hunter2") {
		t.Fatalf("line %+v %v: want a redacted warning of logger redis", e.Entry, e.ContextMap())
	}
}
