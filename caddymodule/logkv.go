package caddymodule

import "go.uber.org/zap"

// kvLogger writes the log lines of domain packages, which take key-value
// pairs as in log/slog, to a zap logger.
type kvLogger struct{ s *zap.SugaredLogger }

func newKVLogger(l *zap.Logger) kvLogger {
	return kvLogger{l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

func (k kvLogger) Debug(msg string, kv ...any) { k.s.Debugw(msg, kv...) }
func (k kvLogger) Info(msg string, kv ...any)  { k.s.Infow(msg, kv...) }
func (k kvLogger) Warn(msg string, kv ...any)  { k.s.Warnw(msg, kv...) }
func (k kvLogger) Error(msg string, kv ...any) { k.s.Errorw(msg, kv...) }
