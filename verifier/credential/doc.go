// Package credential reads credentials from requests and keeps unverified
// ones from reaching the upstream.
//
// Extract finds the credential of a route among its sources (headers in a
// scheme, cookies), refusing duplicated and loosely framed values as
// malformed; KeepOnlyAccepted and Strip remove credential values from the
// request before it goes upstream; Copies lists every copy of a credential
// a logout must end. It never reads the body or the query string.
//
// It depends on verifier (Source, Credential, rejections) and the standard
// library only: no Caddy, no zap, no other authgate package above verifier.
package credential
