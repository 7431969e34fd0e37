package sessiontest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/authgate/authgate/session"
)

// Open returns a fresh, empty store for one test. The suite closes it.
type Open func(t *testing.T) session.Store

// Run runs the conformance suite against stores made by open.
func Run(t *testing.T, open Open) {
	tests := []struct {
		name string
		run  func(t *testing.T, s session.Store)
	}{
		{"a created session is found by token and by id", testCreateLookup},
		{"unknown tokens and ids are not found", testUnknown},
		{"a user's sessions are listed oldest first", testByUser},
		{"touch moves the expiry times and keeps the claims", testTouch},
		{"touch and set claim never bring a deleted session back", testNoResurrection},
		{"set claim changes one claim and keeps the others", testSetClaim},
		{"delete claim removes one claim, and only one that is there", testDeleteClaim},
		{"a claim set to null is stored, and removed like any other", testNullClaim},
		{"delete removes a session everywhere", testDelete},
		{"delete user removes all of a user's sessions and no one else's", testDeleteUser},
		{"deny-list entries keep the latest revocation", testDeny},
		{"once is true the first time only", testOnce},
		{"records are forgotten after their purge time", testPurge},
		{"a session kept alive by touches stays in its user's index", testTouchedStaysIndexed},
		{"an oidc login's provider fields survive every read and update", testProviderFields},
		{"a link is found until replaced or lapsed", testLinks},
		{"concurrent creates, lookups and deletes stay consistent", testConcurrent},
		{"of concurrent deletes of one session exactly one returns it", testDeleteOnce},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { _ = s.Close() })
			tc.run(t, s)
		})
	}
}

// base orders fixtures by their n, whatever the time between calls.
var base = time.Now().UTC().Truncate(time.Millisecond)

// fixture returns a session for user with times relative to now.
func fixture(user string, n int) (*session.Session, string) {
	tok, h := session.NewToken()
	now := base.Add(time.Duration(n) * time.Second)
	return &session.Session{
		ID: fmt.Sprintf("ses_%s_%d_%d", user, n, now.UnixNano()), TokenHash: h, UserID: user,
		Claims:   map[string]any{"email": user + "@example.com", "roles": []any{"a", "b"}, "mfa": map[string]any{"v": true, "t": json.Number("1700000000000")}},
		Verifier: "corp", SourceJTI: "jti-" + user,
		Created: now, LastSeen: now, IdleExpires: now.Add(time.Hour), Expires: now.Add(2 * time.Hour),
		PurgeAt: now.Add(3 * time.Hour),
		Factors: []session.Factor{{Verifier: "corp", AMR: []string{"pwd", "otp"}, At: now}},
	}, tok
}

func mustCreate(t *testing.T, s session.Store, ses *session.Session) {
	t.Helper()
	if err := s.Create(context.Background(), ses); err != nil {
		t.Fatalf("Create: %v", err)
	}
}

func wantSame(t *testing.T, got, want *session.Session) {
	t.Helper()
	g, w := *got, *want
	for _, p := range []*time.Time{&g.Created, &g.LastSeen, &g.IdleExpires, &g.Expires, &g.PurgeAt, &w.Created, &w.LastSeen, &w.IdleExpires, &w.Expires, &w.PurgeAt} {
		*p = p.UTC()
	}
	if !reflect.DeepEqual(&g, &w) {
		t.Fatalf("session = %+v\nwant      %+v", g, w)
	}
}

func wantNotFound(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, session.ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
}

func testCreateLookup(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("alice", 0)
	mustCreate(t, s, ses)
	got, err := s.ByToken(ctx, session.HashToken(tok))
	if err != nil {
		t.Fatalf("ByToken: %v", err)
	}
	wantSame(t, got, ses)
	got, err = s.ByID(ctx, ses.ID)
	if err != nil {
		t.Fatalf("ByID: %v", err)
	}
	wantSame(t, got, ses)
}

func testUnknown(t *testing.T, s session.Store) {
	ctx := context.Background()
	_, err := s.ByToken(ctx, session.HashToken("nope"))
	wantNotFound(t, err)
	_, err = s.ByID(ctx, "ses_nope")
	wantNotFound(t, err)
	_, err = s.Delete(ctx, "ses_nope")
	wantNotFound(t, err)
	list, err := s.ByUser(ctx, "nobody")
	if err != nil || len(list) != 0 {
		t.Fatalf("ByUser(nobody) = %v, %v; want none", list, err)
	}
}

func testByUser(t *testing.T, s session.Store) {
	ctx := context.Background()
	var want []string
	for i := 3; i > 0; i-- {
		ses, _ := fixture("bob", i)
		mustCreate(t, s, ses)
		want = append([]string{ses.ID}, want...)
	}
	other, _ := fixture("bobby", 0)
	mustCreate(t, s, other)
	list, err := s.ByUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ses := range list {
		got = append(got, ses.ID)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ByUser ids = %v, want %v", got, want)
	}
}

func testTouch(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("carol", 0)
	mustCreate(t, s, ses)
	ls, ie, pa := ses.LastSeen.Add(time.Minute), ses.IdleExpires.Add(time.Minute), ses.PurgeAt.Add(time.Minute)
	if err := s.Touch(ctx, ses.ID, ls, ie, pa); err != nil {
		t.Fatalf("Touch: %v", err)
	}
	got, err := s.ByToken(ctx, session.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	ses.LastSeen, ses.IdleExpires, ses.PurgeAt = ls, ie, pa
	wantSame(t, got, ses)
}

func testNoResurrection(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("dave", 0)
	mustCreate(t, s, ses)
	if _, err := s.Delete(ctx, ses.ID); err != nil {
		t.Fatal(err)
	}
	wantNotFound(t, s.Touch(ctx, ses.ID, ses.LastSeen, ses.IdleExpires, ses.PurgeAt))
	wantNotFound(t, s.SetClaim(ctx, ses.ID, "x", 1))
	wantNotFound(t, s.DeleteClaim(ctx, ses.ID, "email"))
	_, err := s.ByToken(ctx, session.HashToken(tok))
	wantNotFound(t, err)
}

func testSetClaim(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("erin", 0)
	mustCreate(t, s, ses)
	if err := s.SetClaim(ctx, ses.ID, "mfa", map[string]any{"v": false, "t": 5}); err != nil {
		t.Fatalf("SetClaim: %v", err)
	}
	if err := s.SetClaim(ctx, ses.ID, "level", 2); err != nil {
		t.Fatalf("SetClaim: %v", err)
	}
	got, err := s.ByToken(ctx, session.HashToken(tok))
	if err != nil {
		t.Fatal(err)
	}
	// Stores decode numbers exactly, as json.Number.
	ses.Claims["mfa"] = map[string]any{"v": false, "t": json.Number("5")}
	ses.Claims["level"] = json.Number("2")
	wantSame(t, got, ses)
}

func testDelete(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("frank", 0)
	mustCreate(t, s, ses)
	gone, err := s.Delete(ctx, ses.ID)
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantSame(t, gone, ses)
	_, err = s.ByToken(ctx, session.HashToken(tok))
	wantNotFound(t, err)
	_, err = s.ByID(ctx, ses.ID)
	wantNotFound(t, err)
	if list, _ := s.ByUser(ctx, "frank"); len(list) != 0 {
		t.Fatalf("ByUser after delete = %d sessions", len(list))
	}
}

func testDeleteUser(t *testing.T, s session.Store) {
	ctx := context.Background()
	var toks []string
	for i := range 3 {
		ses, tok := fixture("gina", i)
		mustCreate(t, s, ses)
		toks = append(toks, tok)
	}
	keep, keepTok := fixture("gin", 0)
	mustCreate(t, s, keep)
	gone, err := s.DeleteUser(ctx, "gina")
	if err != nil || len(gone) != 3 {
		t.Fatalf("DeleteUser = %d, %v; want 3", len(gone), err)
	}
	for _, tok := range toks {
		_, err := s.ByToken(ctx, session.HashToken(tok))
		wantNotFound(t, err)
	}
	if _, err := s.ByToken(ctx, session.HashToken(keepTok)); err != nil {
		t.Fatalf("other user's session: %v", err)
	}
}

func testDeny(t *testing.T, s session.Store) {
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	q := session.DenyQuery{JTI: "j1", Token: "j:t1", Subject: "sub1"}
	st, err := s.Denied(ctx, q)
	if err != nil || st.JTI || st.Token || !st.SubjectBefore.IsZero() {
		t.Fatalf("Denied before any entry = %+v, %v", st, err)
	}
	for _, d := range []session.Denial{
		{JTI: "j1", Until: now.Add(time.Hour)},
		{Token: "j:t1", Until: now.Add(time.Hour)},
		{Subject: "sub1", At: now, Until: now.Add(time.Hour)},
		{Subject: "sub1", At: now.Add(-time.Minute), Until: now.Add(time.Minute)},
	} {
		if err := s.Deny(ctx, d); err != nil {
			t.Fatalf("Deny(%+v): %v", d, err)
		}
	}
	st, err = s.Denied(ctx, q)
	if err != nil || !st.JTI || !st.Token || !st.SubjectBefore.Equal(now) {
		t.Fatalf("Denied = %+v, %v; want jti, token and subject before %v", st, err, now)
	}
	// The three kinds are separate: a token key is not a jti, nor a subject.
	if st, _ := s.Denied(ctx, session.DenyQuery{JTI: "j:t1", Token: "j1", Subject: "j:t1"}); st.JTI || st.Token || !st.SubjectBefore.IsZero() {
		t.Fatalf("Denied(crossed kinds) = %+v", st)
	}
	if st, _ := s.Denied(ctx, session.DenyQuery{JTI: "j2", Token: "j:t2", Subject: "sub2"}); st.JTI || st.Token || !st.SubjectBefore.IsZero() {
		t.Fatalf("Denied(other) = %+v", st)
	}
	if st, _ := s.Denied(ctx, session.DenyQuery{}); st.JTI || st.Token || !st.SubjectBefore.IsZero() {
		t.Fatalf("Denied(empty) = %+v", st)
	}
}

func testOnce(t *testing.T, s session.Store) {
	ctx := context.Background()
	until := time.Now().Add(time.Hour)
	for i, want := range []bool{true, false, false} {
		got, err := s.Once(ctx, "k1", until)
		if err != nil || got != want {
			t.Fatalf("Once #%d = %v, %v; want %v", i, got, err, want)
		}
	}
	if got, _ := s.Once(ctx, "k2", until); !got {
		t.Fatal("Once(k2) = false, want true")
	}
}

func testPurge(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("hank", 0)
	now := time.Now().UTC().Truncate(time.Millisecond)
	ses.IdleExpires, ses.Expires, ses.PurgeAt = now.Add(-time.Second), now.Add(-time.Second), now.Add(300*time.Millisecond)
	mustCreate(t, s, ses)
	if _, err := s.ByToken(ctx, session.HashToken(tok)); err != nil {
		t.Fatalf("expired session before its purge time: %v", err)
	}
	_ = s.Deny(ctx, session.Denial{JTI: "short", Until: now.Add(300 * time.Millisecond)})
	_ = s.Deny(ctx, session.Denial{Token: "d:short", Until: now.Add(300 * time.Millisecond)})
	_, _ = s.Once(ctx, "short", now.Add(300*time.Millisecond))
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := s.ByToken(ctx, session.HashToken(tok))
		st, _ := s.Denied(ctx, session.DenyQuery{JTI: "short", Token: "d:short"})
		if errors.Is(err, session.ErrNotFound) && !st.JTI && !st.Token {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after purge time: lookup err %v, deny %+v", err, st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if again, err := s.Once(ctx, "short", now.Add(time.Hour)); !again || err != nil {
		t.Fatalf("Once after the marker expired = %v, %v; want true", again, err)
	}
}

func testTouchedStaysIndexed(t *testing.T, s session.Store) {
	ctx := context.Background()
	ses, tok := fixture("ivy", 0)
	now := time.Now().UTC().Truncate(time.Millisecond)
	ses.Created, ses.LastSeen = now, now
	// The first purge time leaves the Touch a second to land on a loaded
	// machine; the check runs after it has passed.
	ses.IdleExpires, ses.Expires, ses.PurgeAt = now.Add(500*time.Millisecond), now.Add(time.Hour), now.Add(time.Second)
	mustCreate(t, s, ses)
	if err := s.Touch(ctx, ses.ID, now, now.Add(time.Minute), now.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(now.Add(1300 * time.Millisecond))) // past the first purge time
	if list, err := s.ByUser(ctx, "ivy"); err != nil || len(list) != 1 {
		t.Fatalf("ByUser after the first purge time = %d sessions, %v; want 1", len(list), err)
	}
	if gone, err := s.DeleteUser(ctx, "ivy"); err != nil || len(gone) != 1 {
		t.Fatalf("DeleteUser = %d, %v; want 1", len(gone), err)
	}
	_, err := s.ByToken(ctx, session.HashToken(tok))
	wantNotFound(t, err)
}

// RedisURL returns the Redis for tests, from AUTHGATE_TEST_REDIS. Without
// it the test is skipped on a developer machine but fails in CI (CI set),
// where .ci/run starts one: Redis tests never skip silently there.
func RedisURL(t testing.TB) string {
	t.Helper()
	url := os.Getenv("AUTHGATE_TEST_REDIS")
	if url == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("AUTHGATE_TEST_REDIS is not set in CI")
		}
		t.Skip("AUTHGATE_TEST_REDIS is not set")
	}
	return url
}
