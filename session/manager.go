package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/singleflight"
)

// Defaults for Config.
const (
	DefaultIdleTimeout = 30 * time.Minute
	DefaultLifetime    = 24 * time.Hour
	DefaultMaxPerUser  = 50
	// DefaultRetain is how long an expired session is remembered, so that
	// its cookie is answered session_expired rather than session_revoked.
	DefaultRetain = 10 * time.Minute
	// DefaultStoreTimeout bounds a session read shared by concurrent
	// requests (it outlives any one request's context).
	DefaultStoreTimeout = 2 * time.Second
	// maxTouchInterval bounds how stale LastSeen may get in the store.
	maxTouchInterval = time.Minute
)

// Config configures a Manager. Store is required; zero values mean the
// defaults above.
type Config struct {
	Store Store
	// IdleTimeout ends a session unused for this long. Default: 30m.
	IdleTimeout time.Duration
	// Lifetime is the absolute cap on a session. Default: 24h.
	Lifetime time.Duration
	// TouchInterval is the least time between two recorded uses of a
	// session, so a busy session costs a write per interval rather than per
	// request. Default: IdleTimeout/10, at most 1m.
	TouchInterval time.Duration
	// MaxPerUser caps live sessions per user; the oldest are revoked.
	// Default: 50.
	MaxPerUser int
	// CacheTTL is how long lookups are served from memory. Default: 0 (no
	// cache). With a shared store keep it at or under 1s: it is how long a
	// lost invalidation message can keep a revoked session alive.
	CacheTTL time.Duration
	// CacheSize bounds the cache in bytes. Default: 16 MiB.
	CacheSize int64
	// Retain is how long expired sessions are remembered. Default: 10m.
	Retain time.Duration
	// StoreTimeout bounds a session read that is detached from the
	// request asking for it. Default: 2s.
	StoreTimeout time.Duration
	// Now is the clock. Default: time.Now.
	Now func() time.Time
	// Observer, if set, is told of every store call and every revocation.
	Observer Observer
}

// Manager applies session policy over a Store: minting, lookups with
// sliding expiry, the per-user cap, revocation, claims and the deny-list.
type Manager struct {
	cfg     Config
	records Records
	denials DenyStore
	markers Markers
	// loss is the store's loss report; nil when the store cannot tell.
	loss    LossReporter
	cache   *cache
	flights singleflight.Group
	cancel  context.CancelFunc
}

// NewManager returns a Manager. Call Close when done with it; the Store is
// not closed (it may be shared).
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Store == nil {
		return nil, errors.New("creating session manager: no store")
	}
	setDefaults(&cfg)
	c, err := newCache(cfg.CacheSize, cfg.CacheTTL)
	if err != nil {
		return nil, fmt.Errorf("creating session cache: %w", err)
	}
	var parts interface {
		Records
		DenyStore
		Markers
	} = cfg.Store
	if cfg.Observer != nil {
		parts = observed{s: cfg.Store, obs: cfg.Observer}
	}
	m := &Manager{cfg: cfg, records: parts, denials: parts, markers: parts, cache: c}
	m.loss, _ = cfg.Store.(LossReporter)
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	if w, ok := cfg.Store.(Watcher); ok && cfg.CacheTTL > 0 {
		w.Watch(ctx, m.invalidate)
	}
	return m, nil
}

func setDefaults(cfg *Config) {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = DefaultIdleTimeout
	}
	if cfg.Lifetime <= 0 {
		cfg.Lifetime = DefaultLifetime
	}
	if cfg.TouchInterval <= 0 {
		cfg.TouchInterval = min(cfg.IdleTimeout/10, maxTouchInterval)
	}
	if cfg.MaxPerUser <= 0 {
		cfg.MaxPerUser = DefaultMaxPerUser
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 16 << 20
	}
	if cfg.Retain <= 0 {
		cfg.Retain = DefaultRetain
	}
	if cfg.StoreTimeout <= 0 {
		cfg.StoreTimeout = DefaultStoreTimeout
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
}

// Close stops the invalidation watcher and the cache.
func (m *Manager) Close() {
	m.cancel()
	m.cache.close()
}

// Wait applies pending cache writes; tests and benchmarks call it before
// expecting a cache hit.
func (m *Manager) Wait() { m.cache.wait() }

func (m *Manager) invalidate(e Event) {
	if e.All {
		m.cache.flush()
		return
	}
	for _, h := range e.Tokens {
		m.cache.del(tokenKey(h))
	}
}

// NewSession describes a session to mint.
type NewSession struct {
	UserID    string
	Claims    map[string]any
	Verifier  string
	SourceJTI string
	// SourceKey and SourceExpires describe the exchanged token (see
	// Session).
	SourceKey     string
	SourceExpires time.Time
	// NotAfter, when not zero, is the latest the session may end: the
	// expiry of the token it was exchanged from (bind_to_token, or the
	// expiry an introspected token's service reported).
	NotAfter time.Time
	// ClaimsAt is the exchanged token's iat. Default: now.
	ClaimsAt time.Time
	Host     string
	// Provider, ProviderSID and IDToken describe an OIDC login (see
	// Session); empty for other sessions.
	Provider    string
	ProviderSID string
	IDToken     string
	// TTL shortens the lifetime of this session; 0 or more than the
	// configured lifetime means the configured lifetime.
	TTL time.Duration
	// AMR is the "amr" claim of the exchanged token or ID token, if any:
	// the methods of the session's first factor.
	AMR []string
}

// Create mints a session and returns its token (shown once, never stored).
// Reserved claims are refused with ErrReservedClaim. When the user then
// has more than MaxPerUser live sessions, the oldest are revoked.
func (m *Manager) Create(ctx context.Context, ns NewSession) (string, *Session, error) {
	if ns.UserID == "" || strings.ContainsRune(ns.UserID, 0) {
		return "", nil, errors.New("creating session: user id is empty or holds a NUL byte")
	}
	for name := range ns.Claims {
		if IsReserved(name) {
			return "", nil, fmt.Errorf("creating session: claim %q: %w", name, ErrReservedClaim)
		}
	}
	now := ms(m.cfg.Now())
	life := m.cfg.Lifetime
	if ns.TTL > 0 && ns.TTL < life {
		life = ns.TTL
	}
	if !ns.NotAfter.IsZero() {
		life = min(life, ms(ns.NotAfter).Sub(now))
	}
	tok, h := NewToken()
	s := &Session{
		ID: newID(), TokenHash: h, UserID: ns.UserID, Claims: ns.Claims,
		Verifier: ns.Verifier, SourceJTI: ns.SourceJTI, Host: ns.Host,
		SourceKey: ns.SourceKey, SourceExpires: ms(ns.SourceExpires),
		Provider: ns.Provider, ProviderSID: ns.ProviderSID, IDToken: ns.IDToken,
		Created: now, LastSeen: now, Expires: now.Add(life), ClaimsAt: now,
	}
	if !ns.ClaimsAt.IsZero() && ns.ClaimsAt.Before(now) {
		s.ClaimsAt = ms(ns.ClaimsAt)
	}
	if s.Provider != "" || s.Verifier != "" {
		s.Factors = []Factor{{Verifier: s.Origin(), AMR: slices.Clone(ns.AMR), At: now}}
	}
	s.IdleExpires = earlier(now.Add(m.cfg.IdleTimeout), s.Expires)
	s.PurgeAt = s.ExpiresAt().Add(m.cfg.Retain)
	if err := m.records.Create(ctx, s); err != nil {
		return "", nil, fmt.Errorf("creating session: %w", err)
	}
	if err := m.enforceCap(ctx, ns.UserID, now); err != nil {
		return "", nil, err
	}
	return tok, s, nil
}

// enforceCap revokes the oldest live sessions beyond MaxPerUser. Two
// instances minting at once may briefly leave one extra.
func (m *Manager) enforceCap(ctx context.Context, userID string, now time.Time) error {
	all, err := m.records.ByUser(ctx, userID)
	if err != nil {
		return fmt.Errorf("listing sessions to cap them: %w", err)
	}
	live := all[:0]
	for _, s := range all {
		if s.Live(now) {
			live = append(live, s)
		}
	}
	for i := 0; i < len(live)-m.cfg.MaxPerUser; i++ {
		if _, err := m.revoke(ctx, live[i].ID, RevokedOverCap); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("revoking sessions over the cap: %w", err)
		}
	}
	return nil
}

// List returns a user's live sessions, oldest first.
func (m *Manager) List(ctx context.Context, userID string) ([]*Session, error) {
	all, err := m.records.ByUser(ctx, userID)
	if err != nil {
		return nil, err
	}
	now := m.cfg.Now()
	live := all[:0]
	for _, s := range all {
		if s.Live(now) {
			live = append(live, s)
		}
	}
	return live, nil
}

// Get returns the live session with the given id.
func (m *Manager) Get(ctx context.Context, id string) (*Session, error) {
	s, err := m.records.ByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.Live(m.cfg.Now()) {
		return nil, ErrNotFound
	}
	return s, nil
}

// Revoke ends one session. It reports ErrNotFound for unknown ids.
func (m *Manager) Revoke(ctx context.Context, id string) (*Session, error) {
	return m.revoke(ctx, id, RevokedSession)
}

// revoke is Revoke, reported as what.
func (m *Manager) revoke(ctx context.Context, id string, what Revocation) (*Session, error) {
	s, err := m.records.Delete(ctx, id)
	if err != nil {
		return nil, err
	}
	m.cache.flush()
	m.revoked(what, 1)
	return s, nil
}

// RevokeToken ends the session of token, expired or not, and returns it
// as it was stored (logout reads its Provider and IDToken); nil when the
// token has none. Malformed and unknown tokens are fine.
func (m *Manager) RevokeToken(ctx context.Context, token string) (*Session, error) {
	if !WellFormed(token) {
		return nil, nil
	}
	s, err := m.records.ByToken(ctx, HashToken(token))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if _, err := m.revoke(ctx, s.ID, RevokedToken); errors.Is(err, ErrNotFound) {
		return nil, nil // revoked meanwhile
	} else if err != nil {
		return nil, err
	}
	return s, nil
}

// RevokeUser ends every session of a user and returns how many there were.
func (m *Manager) RevokeUser(ctx context.Context, userID string) (int, error) {
	n, err := m.revokeUser(ctx, userID)
	if err == nil {
		m.revoked(RevokedUser, n)
	}
	return n, err
}

// revokeUser is RevokeUser without the report.
func (m *Manager) revokeUser(ctx context.Context, userID string) (int, error) {
	gone, err := m.records.DeleteUser(ctx, userID)
	m.cache.flush()
	return len(gone), err
}

// SetClaim sets one session claim (value is any JSON value). Reserved
// names are refused with ErrReservedClaim.
func (m *Manager) SetClaim(ctx context.Context, id, name string, value any) error {
	if IsReserved(name) {
		return fmt.Errorf("setting claim %q: %w", name, ErrReservedClaim)
	}
	if name == "" {
		return errors.New("setting claim: empty name")
	}
	s, err := m.records.ByID(ctx, id)
	if err != nil {
		return err
	}
	if err := m.records.SetClaim(ctx, id, name, value); err != nil {
		return err
	}
	m.cache.del(tokenKey(s.TokenHash))
	return nil
}

// DeleteClaim removes one session claim. Reserved names are refused with
// ErrReservedClaim; a claim the session does not hold is ErrNoClaim.
func (m *Manager) DeleteClaim(ctx context.Context, id, name string) error {
	if IsReserved(name) {
		return fmt.Errorf("deleting claim %q: %w", name, ErrReservedClaim)
	}
	s, err := m.records.ByID(ctx, id)
	if err != nil {
		return err
	}
	if err := m.records.DeleteClaim(ctx, id, name); err != nil {
		return err
	}
	m.cache.del(tokenKey(s.TokenHash))
	return nil
}

// Use records a one-time key (an exchanged token) until the given time and
// reports whether this is its first use.
func (m *Manager) Use(ctx context.Context, key string, until time.Time) (bool, error) {
	return m.markers.Once(ctx, key, until)
}

// Lifetime is the configured absolute cap on a session.
func (m *Manager) Lifetime() time.Duration { return m.cfg.Lifetime }
