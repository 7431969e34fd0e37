package caddymodule

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authgate/authgate/session/sessiontest"
)

// sentinelSite is one gateway on a Sentinel-managed Redis whose
// revocations wait for one replica.
const sentinelSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		dev
		session {
			store redis {
				sentinel authgate-test {SENTINEL}
				timeout 300ms
				wait_replicas 1 2s
			}
			exchange dev
		}
	}
}
http://127.0.0.1:{PORT} {
	authgate
	reverse_proxy {UPSTREAM}
}
`

// sentinelSetup is a master, its replica and one sentinel with fast
// failover settings, all on free ports.
type sentinelSetup struct {
	master, replica, sentinel *sessiontest.RedisProc
	sc                        *redis.SentinelClient
}

func startSentinelSetup(t *testing.T) *sentinelSetup {
	t.Helper()
	s := &sentinelSetup{master: sessiontest.StartRedis(t)}
	s.replica = sessiontest.StartRedis(t, "--replicaof", "127.0.0.1", fmt.Sprint(s.master.Port))
	s.sentinel = sessiontest.StartSentinel(t,
		fmt.Sprintf("sentinel monitor authgate-test 127.0.0.1 %d 1", s.master.Port),
		"sentinel down-after-milliseconds authgate-test 500",
		"sentinel failover-timeout authgate-test 3000",
		"sentinel parallel-syncs authgate-test 1")
	s.sc = redis.NewSentinelClient(&redis.Options{Addr: s.sentinel.Addr()})
	t.Cleanup(func() { s.sc.Close() })
	ctx := context.Background()
	sesWaitFor(t, 15*time.Second, "sentinel knows the replica", func() bool {
		reps, err := s.sc.Replicas(ctx, "authgate-test").Result()
		return err == nil && len(reps) == 1 && reps[0]["flags"] == "slave"
	})
	m := redis.NewClient(&redis.Options{Addr: s.master.Addr()})
	defer m.Close()
	sesWaitFor(t, 15*time.Second, "replica in sync", func() bool {
		info, err := m.Info(ctx, "replication").Result()
		return err == nil && strings.Contains(info, "state=online") && m.Wait(ctx, 1, time.Second).Val() == 1
	})
	return s
}

// masterPort asks the sentinel which port the master is on.
func (s *sentinelSetup) masterPort() string {
	addr, err := s.sc.GetMasterAddrByName(context.Background(), "authgate-test").Result()
	if err != nil || len(addr) != 2 {
		return ""
	}
	return addr[1]
}

// With Sentinel, sessions and revocations stay correct across a failover:
// revocations are acknowledged only once the replica has them (so the
// promoted replica has them), an unacknowledged revocation is a 503, and
// both instances follow the new master, pub/sub included.
func TestSentinelFailoverKeepsSessionsAndRevocations(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped with -short")
	}
	rs := startSentinelSetup(t)
	up := echoUpstream(t)
	site := strings.NewReplacer("{SENTINEL}", rs.sentinel.Addr(), "{UPSTREAM}", up.URL).Replace(sentinelSite)
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	admin := "http://" + adminAddr
	a := startGateway(t, strings.ReplaceAll(site, "{ADMIN}", adminAddr))
	b := startSecondInstance(t, strings.NewReplacer("{ADMIN}", "off", "{STORAGE}", a.storage).Replace(site))

	kept := "Cookie: " + sessionCookieName + "=" + sesExchange(t, a, "mona")
	loggedOut := "Cookie: " + sessionCookieName + "=" + sesExchange(t, a, "mona")
	revoked := "Authorization: Bearer " + a.mint("nick")
	wantStatus(t, send(t, b, "GET", "/", "", kept), http.StatusOK)
	wantStatus(t, send(t, a.base, "POST", "/.authgate/logout", "", loggedOut), http.StatusNoContent)
	until := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	revoke := func(sub string) int {
		return send(t, admin, "POST", "/authgate/revocations", `{"sub":"`+sub+`","until":"`+until+`"}`, jsonCT).status
	}
	wantStatus(t, response{status: revoke("nick")}, http.StatusCreated)

	rs.master.Kill()
	start := time.Now()
	sesWaitFor(t, 20*time.Second, "replica promoted", func() bool { return rs.masterPort() == fmt.Sprint(rs.replica.Port) })
	t.Logf("promoted %v after the master was killed", time.Since(start).Round(time.Millisecond))

	for name, base := range map[string]string{"A": a.base, "B": b} {
		sesWaitFor(t, 10*time.Second, name+": session served by the new master", func() bool {
			return send(t, base, "GET", "/", "", kept).status == http.StatusOK
		})
		wantReason(t, send(t, base, "GET", "/", "", revoked), http.StatusUnauthorized, "token_revoked")
		wantStatus(t, send(t, base, "GET", "/", "", loggedOut), http.StatusUnauthorized)
	}
	t.Logf("sessions served by both instances %v after the master was killed", time.Since(start).Round(time.Millisecond))

	// The new master has no replica: a revocation cannot be acknowledged,
	// and says so instead of pretending.
	if st := revoke("oscar"); st != http.StatusServiceUnavailable {
		t.Fatalf("revocation without a replica: status %d, want 503", st)
	}
	// A new replica joins: revocations work again and reach the other
	// instance through the new master's pub/sub.
	sessiontest.StartRedis(t, "--replicaof", "127.0.0.1", fmt.Sprint(rs.replica.Port))
	victim := "Authorization: Bearer " + a.mint("petra")
	wantStatus(t, send(t, b, "GET", "/", "", victim), http.StatusOK)
	sesWaitFor(t, 10*time.Second, "revocation acknowledged by the new replica", func() bool { return revoke("petra") == http.StatusCreated })
	refusedWithin(t, 2*time.Second, "revocation after the failover", func() int { return send(t, b, "GET", "/", "", victim).status })
}
