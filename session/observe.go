package session

import (
	"context"
	"errors"
	"time"
)

// Observer receives what a Manager does with its store, for metrics and
// logs. It is given fixed codes, counts and durations only: never a
// token, a session id or a user. Methods may be called from many
// goroutines at once and must be quick. A nil Observer reports nothing and
// costs nothing.
type Observer interface {
	// StoreCalled reports one call of the store: the operation, its
	// result and how long it took.
	StoreCalled(op Op, result Result, elapsed time.Duration)
	// Revoked reports a revocation: what was revoked and how many
	// sessions it ended.
	Revoked(what Revocation, sessions int)
}

// Op names a store operation: one method of Records, DenyStore or Markers.
type Op string

// Store operations.
const (
	OpCreate     Op = "create"
	OpByToken    Op = "by_token"
	OpByID       Op = "by_id"
	OpByUser     Op = "by_user"
	OpTouch      Op = "touch"
	OpSetClaim   Op = "set_claim"
	OpDelClaim   Op = "delete_claim"
	OpDelete     Op = "delete"
	OpDeleteUser Op = "delete_user"
	OpDeny       Op = "deny"
	OpDenied     Op = "denied"
	OpOnce       Op = "once"
	OpLink       Op = "link"
	OpLinked     Op = "linked"
)

// Result is the outcome of a store operation.
type Result string

// Store operation results.
const (
	ResultOK       Result = "ok"
	ResultNotFound Result = "not_found"
	ResultError    Result = "error"
)

// Revocation says what a revocation ended.
type Revocation string

// Revocations.
const (
	// RevokedSession: one session, by id (Revoke).
	RevokedSession Revocation = "session"
	// RevokedToken: the session of a presented token (RevokeToken).
	RevokedToken Revocation = "token"
	// RevokedUser: every session of a user (RevokeUser).
	RevokedUser Revocation = "user"
	// RevokedOverCap: the oldest sessions of a user over MaxPerUser.
	RevokedOverCap Revocation = "over_cap"
	// RevokedSelected: the sessions of a user a caller picked
	// (RevokeWhere: back-channel logout of one provider session).
	RevokedSelected Revocation = "selected"
	// DeniedJTI, DeniedToken and DeniedSubject: a deny-list entry for
	// identity-provider tokens by jti, by token key, or by subject (which
	// also ends the subject's sessions).
	DeniedJTI     Revocation = "deny_jti"
	DeniedToken   Revocation = "deny_token"
	DeniedSubject Revocation = "deny_subject"
)

// denial names the kind of a deny-list entry.
func denial(d Denial) Revocation {
	switch {
	case d.JTI != "":
		return DeniedJTI
	case d.Token != "":
		return DeniedToken
	}
	return DeniedSubject
}

func (m *Manager) revoked(what Revocation, sessions int) {
	if m.cfg.Observer != nil {
		m.cfg.Observer.Revoked(what, sessions)
	}
}

// observed is a Store whose every call is reported to obs.
type observed struct {
	s   Store
	obs Observer
}

// done reports one call that began at start and ended with err.
func (o observed) done(op Op, start time.Time, err error) {
	r := ResultOK
	switch {
	case errors.Is(err, ErrNotFound):
		r = ResultNotFound
	case err != nil:
		r = ResultError
	}
	o.obs.StoreCalled(op, r, time.Since(start))
}

func (o observed) Create(ctx context.Context, s *Session) error {
	start := time.Now()
	err := o.s.Create(ctx, s)
	o.done(OpCreate, start, err)
	return err
}

func (o observed) ByToken(ctx context.Context, h Hash) (*Session, error) {
	start := time.Now()
	s, err := o.s.ByToken(ctx, h)
	o.done(OpByToken, start, err)
	return s, err
}

func (o observed) ByID(ctx context.Context, id string) (*Session, error) {
	start := time.Now()
	s, err := o.s.ByID(ctx, id)
	o.done(OpByID, start, err)
	return s, err
}

func (o observed) ByUser(ctx context.Context, userID string) ([]*Session, error) {
	start := time.Now()
	all, err := o.s.ByUser(ctx, userID)
	o.done(OpByUser, start, err)
	return all, err
}

func (o observed) Touch(ctx context.Context, id string, lastSeen, idleExpires, purgeAt time.Time) error {
	start := time.Now()
	err := o.s.Touch(ctx, id, lastSeen, idleExpires, purgeAt)
	o.done(OpTouch, start, err)
	return err
}

func (o observed) SetClaim(ctx context.Context, id, name string, value any) error {
	start := time.Now()
	err := o.s.SetClaim(ctx, id, name, value)
	o.done(OpSetClaim, start, err)
	return err
}

func (o observed) DeleteClaim(ctx context.Context, id, name string) error {
	start := time.Now()
	err := o.s.DeleteClaim(ctx, id, name)
	o.done(OpDelClaim, start, err)
	return err
}

func (o observed) Delete(ctx context.Context, id string) (*Session, error) {
	start := time.Now()
	s, err := o.s.Delete(ctx, id)
	o.done(OpDelete, start, err)
	return s, err
}

func (o observed) DeleteUser(ctx context.Context, userID string) ([]*Session, error) {
	start := time.Now()
	gone, err := o.s.DeleteUser(ctx, userID)
	o.done(OpDeleteUser, start, err)
	return gone, err
}

func (o observed) Deny(ctx context.Context, d Denial) error {
	start := time.Now()
	err := o.s.Deny(ctx, d)
	o.done(OpDeny, start, err)
	return err
}

func (o observed) Denied(ctx context.Context, q DenyQuery) (DenyState, error) {
	start := time.Now()
	st, err := o.s.Denied(ctx, q)
	o.done(OpDenied, start, err)
	return st, err
}

func (o observed) Once(ctx context.Context, key string, until time.Time) (bool, error) {
	start := time.Now()
	first, err := o.s.Once(ctx, key, until)
	o.done(OpOnce, start, err)
	return first, err
}

func (o observed) Link(ctx context.Context, key, value string, until time.Time) error {
	start := time.Now()
	err := o.s.Link(ctx, key, value, until)
	o.done(OpLink, start, err)
	return err
}

func (o observed) Linked(ctx context.Context, key string) (string, error) {
	start := time.Now()
	v, err := o.s.Linked(ctx, key)
	o.done(OpLinked, start, err)
	return v, err
}
