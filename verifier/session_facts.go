package verifier

import "time"

// SessionFacts is what an identity made from a gateway session tells
// about that session beyond its id: the session object's times, its
// origin and its authentication methods, which header templates forward.
// The session package implements it with its stored record, so carrying
// it costs an identity nothing; treat it as read-only.
type SessionFacts interface {
	// Times returns the session's times.
	Times() SessionTimes
	// Origin names the verifier or oidc block the session was made from.
	Origin() string
	// AppendAMR appends to dst the authentication methods of the
	// session's factors, each once, in the order they were first used.
	AppendAMR(dst []string) []string
}

// SessionTimes are the times of a gateway session as its session object
// shows them.
type SessionTimes struct {
	// Started is when the session was made (started_at, created_at).
	Started time.Time
	// LastAccessed is its last recorded use (last_accessed_at,
	// last_seen_at), recorded at most once per touch interval.
	LastAccessed time.Time
	// IdleExpires is when it ends unless used again (idle_expires_at).
	IdleExpires time.Time
	// Expires is its absolute end (expires_at).
	Expires time.Time
}
