package verifier_test

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/verifiertest"
)

// TestRotationIsAcceptedDuringAContinuousJunkKidFlood: eight clients send
// tokens with made-up kids without pause, before, during and after the
// IdP rotates its key. The flood spends every token of the bucket the
// moment it refills, yet each refill's fetch loads the whole set, so the
// rotated key is accepted within one refill interval (plus one
// RateLimitWaitMax, the longest a request waits on a refresh), and the
// fetches stay within the bucket: the burst plus one per refill.
func TestRotationIsAcceptedDuringAContinuousJunkKidFlood(t *testing.T) {
	srv := verifiertest.NewServer()
	t.Cleanup(srv.Close)
	const refill, waitMax = 400 * time.Millisecond, 100 * time.Millisecond
	v := remoteVerifier(t, verifier.RemoteKeyOptions{URL: srv.URL, UnknownKIDBurst: 3, UnknownKIDRefill: refill, RateLimitWaitMax: waitMax})
	if err := verifyWith(t, v, srv.Key("ES256").Mint(std(corpIss))); err != nil {
		t.Fatal(err)
	}
	attacker := verifiertest.NewECKey("x")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent atomic.Int64
	floodStart := time.Now()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				tok := attacker.MintHeader(map[string]any{"kid": "junk-" + strconv.Itoa(w) + "-" + strconv.Itoa(i)}, std(corpIss))
				_ = verifyWith(t, v, tok)
				sent.Add(1)
			}
		}()
	}
	time.Sleep(2 * refill) // the burst is long spent
	srv.Rotate()
	rotated := srv.Key("ES256").Mint(std(corpIss))
	rotatedAt := time.Now()
	ok := eventually(t, refill+2*time.Second, func() bool { return verifyWith(t, v, rotated) == nil })
	took := time.Since(rotatedAt)
	close(stop)
	wg.Wait()
	floodFor := time.Since(floodStart)
	fetches := srv.Fetches()
	t.Logf("%d junk kids; rotated key accepted after %v; %d fetches", sent.Load(), took.Round(time.Millisecond), fetches)
	if !ok || took > refill+waitMax+300*time.Millisecond {
		t.Fatalf("rotated key accepted %v after the rotation (ok=%v), want within one refill (%v) and one wait (%v)", took, ok, refill, waitMax)
	}
	if limit := 1 + 3 + int(floodFor/refill) + 2; int(fetches) > limit {
		t.Fatalf("%d fetches during a %v flood, want at most %d", fetches, floodFor, limit)
	}
}
