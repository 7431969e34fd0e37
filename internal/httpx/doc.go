// Package httpx holds what every outbound HTTP call of the gateway shares:
// the redirect-free client over a bounded keep-alive transport, and the one
// way to read a response body under a size cap.
//
// It imports only the standard library; in particular no Caddy and no zap.
package httpx
