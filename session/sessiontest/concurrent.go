package sessiontest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/authgate/authgate/session"
)

// testConcurrent has writers create, read, touch and delete sessions of a
// shared user while others list and revoke that user: every operation
// either succeeds or reports ErrNotFound, and nothing survives the final
// revoke-all.
func testConcurrent(t *testing.T, s session.Store) {
	ctx := context.Background()
	const workers, rounds = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, workers*rounds)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range rounds {
				ses, tok := fixture("zoe", w*rounds+i)
				ses.ID = fmt.Sprintf("ses_c_%d_%d", w, i)
				if err := s.Create(ctx, ses); err != nil {
					errs <- err
					return
				}
				if _, err := s.ByToken(ctx, session.HashToken(tok)); err != nil && !errors.Is(err, session.ErrNotFound) {
					errs <- err
				}
				if err := s.Touch(ctx, ses.ID, ses.LastSeen, ses.IdleExpires, ses.PurgeAt); err != nil && !errors.Is(err, session.ErrNotFound) {
					errs <- err
				}
				if i%3 == 0 {
					if _, err := s.Delete(ctx, ses.ID); err != nil && !errors.Is(err, session.ErrNotFound) {
						errs <- err
					}
				}
				if i%7 == 0 {
					if _, err := s.DeleteUser(ctx, "zoe"); err != nil {
						errs <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if _, err := s.DeleteUser(ctx, "zoe"); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ByUser(ctx, "zoe"); err != nil || len(list) != 0 {
		t.Fatalf("after revoke-all: %d sessions, %v", len(list), err)
	}
}

// testDeleteOnce deletes each session from several goroutines at once:
// exactly one Delete returns it, the others report ErrNotFound. Attest
// rotates a session by creating its copy and deleting the original; a
// rotation racing a revocation or another rotation learns it lost only
// through this.
func testDeleteOnce(t *testing.T, s session.Store) {
	ctx := context.Background()
	const racers = 6
	for i := range 10 {
		ses, _ := fixture("yan", i)
		ses.ID = fmt.Sprintf("ses_d_%d", i)
		mustCreate(t, s, ses)
		var wg sync.WaitGroup
		results := make(chan error, racers)
		for range racers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.Delete(ctx, ses.ID)
				results <- err
			}()
		}
		wg.Wait()
		close(results)
		won := 0
		for err := range results {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, session.ErrNotFound):
				t.Fatal(err)
			}
		}
		if won != 1 {
			t.Fatalf("session %d: %d of %d concurrent deletes returned it, want 1", i, won, racers)
		}
	}
}
