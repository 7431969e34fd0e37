// Package archtest holds the test that enforces the import rules of the
// module: which of its packages may import which, and that nothing below
// caddymodule imports Caddy, zap or a metrics library. It has no code of its
// own; the rules live in imports_test.go and are explained in
// ARCHITECTURE.md.
package archtest
