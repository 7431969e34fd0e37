package zaplog

import "go.uber.org/zap"

// KVLogger writes the log lines of domain packages, which take key-value
// pairs as in log/slog, to a zap logger.
type KVLogger struct{ s *zap.SugaredLogger }

// NewKVLogger returns a KVLogger writing to l; the caller reported in each
// line is the domain package's, not KVLogger's.
func NewKVLogger(l *zap.Logger) KVLogger {
	return KVLogger{l.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

// Debug writes msg and the key-value pairs kv at debug level.
func (k KVLogger) Debug(msg string, kv ...any) { k.s.Debugw(msg, kv...) }

// Info writes msg and the key-value pairs kv at info level.
func (k KVLogger) Info(msg string, kv ...any) { k.s.Infow(msg, kv...) }

// Warn writes msg and the key-value pairs kv at warn level.
func (k KVLogger) Warn(msg string, kv ...any) { k.s.Warnw(msg, kv...) }

// Error writes msg and the key-value pairs kv at error level.
func (k KVLogger) Error(msg string, kv ...any) { k.s.Errorw(msg, kv...) }
