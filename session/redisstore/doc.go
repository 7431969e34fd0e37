// Package redisstore is the shared session store: several gateway
// instances keep sessions, deny-list entries, exchanged-token markers and
// links in one Redis (7.0 or later), with TTLs set in Redis so nothing needs
// sweeping, a per-user index so revoking all of a user's sessions is one
// small read, and pub/sub messages that invalidate the other instances'
// in-process caches.
//
// NewClient builds the go-redis client from plain settings (a URL, or
// Sentinel with optional TLS), every call bounded by a Guard; CheckServer
// warns at start about settings that can drop revocations. The package
// imports no Caddy and no zap: it logs through the Logger it declares.
//
// Keys, below a prefix (default "authgate:"):
//
//	t:<hex token hash>  hash: "r" (the session without claims as JSON), "ls", "ie", "pa" (unix ms), "c:<claim>" (JSON)
//	s:<session id>      string: hex token hash
//	u:<user id>         sorted set: session ids scored by creation (unix ms)
//	dj:<jti>            string: until (unix ms)
//	ds:<subject>        string: revocation time (unix ms)
//	dt:<token key>      string: until (unix ms); one token (session.TokenKey)
//	o:<key>             string: one-time marker
//	l:<key>             string: link value (e.g. a provider session's user), expiring at its until
//	dx                  sorted set: deny-list entries ("dj:<jti>", "ds:<subject>", "dt:<token key>") scored by until (unix ms)
//	dv                  string: deny-list version, bumped by every deny-list write
//	gen                 string: generation marker (random id); missing or changed means Redis lost the data
//	events              pub/sub channel: "*" (drop everything) or hex token hashes separated by ","
package redisstore
