// Package sessiontest is the conformance suite every session.Store must
// pass: boltstore, redisstore and the session tests' in-memory store run
// the same Run. It is test-only code: it calls t.Fatal on failures.
package sessiontest
