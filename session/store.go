package session

import (
	"context"
	"time"
)

// Store is everything a backend keeps: session records, the deny-list,
// and one-time markers and links. Each part is its own interface so that
// code needing one part asks for that part only; a backend implements all
// three. It is pure persistence: expiry policy lives in Manager. Every
// method is safe for concurrent use. Implementations: boltstore (one
// instance), redisstore (several).
type Store interface {
	Records
	DenyStore
	Markers
	// Close releases the store.
	Close() error
}

// Records persists session records. Lookups return ErrNotFound for a
// session the store does not hold.
type Records interface {
	// Create stores a new session.
	Create(ctx context.Context, s *Session) error
	// ByToken returns the session with the given token hash, expired or
	// not, until its PurgeAt.
	ByToken(ctx context.Context, h Hash) (*Session, error)
	// ByID returns the session with the given id.
	ByID(ctx context.Context, id string) (*Session, error)
	// ByUser returns a user's sessions, oldest first.
	ByUser(ctx context.Context, userID string) ([]*Session, error)
	// Touch records a use: it sets LastSeen, IdleExpires and PurgeAt. It
	// never recreates a session deleted meanwhile (ErrNotFound).
	Touch(ctx context.Context, id string, lastSeen, idleExpires, purgeAt time.Time) error
	// SetClaim sets one claim of a session to value (any JSON value).
	SetClaim(ctx context.Context, id, name string, value any) error
	// DeleteClaim removes one claim of a session. It reports ErrNoClaim
	// when the session holds no claim of that name, ErrNotFound when there
	// is no such session.
	DeleteClaim(ctx context.Context, id, name string) error
	// Delete removes a session and returns it.
	Delete(ctx context.Context, id string) (*Session, error)
	// DeleteUser removes all of a user's sessions and returns them.
	DeleteUser(ctx context.Context, userID string) ([]*Session, error)
}

// DenyStore persists the deny-list of identity-provider JWTs.
type DenyStore interface {
	// Deny records a deny-list entry; entries for the same key keep the
	// latest revocation time and the latest expiry.
	Deny(ctx context.Context, d Denial) error
	// Denied returns the deny-list state of a token: its jti, its token
	// key and its subject (empty fields are not looked up).
	Denied(ctx context.Context, q DenyQuery) (DenyState, error)
}

// Markers persists one-time markers (an exchanged token's jti, a login's
// state) and links (expiring key → value records, e.g. a provider's
// session id → its user), which token exchange and OIDC login use.
type Markers interface {
	// Once records key until the given time and reports whether it was not
	// recorded already (true the first time).
	Once(ctx context.Context, key string, until time.Time) (bool, error)
	// Link records key → value until the given time, replacing any value
	// the key had.
	Link(ctx context.Context, key, value string, until time.Time) error
	// Linked returns the value recorded for key, or ErrNotFound when there
	// is none or it lapsed.
	Linked(ctx context.Context, key string) (string, error)
}

// Denial is one deny-list entry for identity-provider JWTs. Exactly one of
// JTI, Token and Subject is set.
type Denial struct {
	// JTI denies the tokens with this "jti", of every issuer.
	JTI string
	// Token denies one token by its key (see TokenKey and IssuerJTIKey).
	Token string
	// Subject denies every token of this canonical subject issued before At.
	Subject string
	// At is the revocation time (for Subject).
	At time.Time
	// Until is when the entry can be forgotten: when the tokens it denies
	// would have expired anyway.
	Until time.Time
}

// DenyQuery names a token for a deny-list lookup.
type DenyQuery struct {
	// JTI is the token's "jti" (entries that hold for every issuer).
	JTI string
	// Token is the token's key (TokenKey).
	Token string
	// Subject is the canonical subject.
	Subject string
}

// DenyState is what the deny-list holds for a token.
type DenyState struct {
	// JTI is true when the token id is denied.
	JTI bool
	// Token is true when the token's key is denied.
	Token bool
	// SubjectBefore is the subject's latest revocation time; tokens issued
	// before it are denied. Zero: none.
	SubjectBefore time.Time
}

// Event tells other instances that cached sessions changed.
type Event struct {
	// All asks to drop every cached entry (revocations, deny-list changes,
	// and every (re)connection, since messages may have been lost).
	All bool
	// Tokens lists sessions whose cached copies are stale.
	Tokens []Hash
}

// Watcher is implemented by stores shared between gateway instances. Watch
// calls fn for every change made by any instance, and with All set each
// time it (re)subscribes, until ctx ends. It returns at once; delivery runs
// in the background.
type Watcher interface {
	Watch(ctx context.Context, fn func(Event))
}
