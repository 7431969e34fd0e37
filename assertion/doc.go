// Package assertion signs the identity assertions the gateway forwards to
// upstreams (`header <Name> assertion`): short-lived JWTs of type
// verifier.AssertionType over any crypto.Signer (ES256, RS256, EdDSA), and
// the JWK Set that publishes the public key.
//
// It owns neither the key's storage nor the endpoint serving the JWKS:
// caddymodule loads the key and serves the bytes. It imports no Caddy and
// no zap, and depends only on verifier and the claims leaf.
package assertion
