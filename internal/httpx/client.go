package httpx

import (
	"net"
	"net/http"
	"time"
)

// Bounds of the transport NewTransport builds.
const (
	dialTimeout         = 5 * time.Second
	tlsHandshakeTimeout = 5 * time.Second
	keepAlive           = 30 * time.Second
	idleConnTimeout     = 90 * time.Second
	maxIdleConns        = 256
	maxHeaderBytes      = 64 << 10
)

// NoRedirect is a CheckRedirect function that stops at the first answer:
// the caller sees the 3xx itself. A redirect could take a request, and the
// credential or secret it carries, to a host nobody configured.
func NoRedirect(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

// NewTransport returns a keep-alive transport with dialing, TLS handshakes
// and response headers bounded, keeping up to maxIdlePerHost idle
// connections per host (0: net/http's default). It honours the proxy
// environment variables.
func NewTransport(maxIdlePerHost int) *http.Transport {
	dialer := &net.Dialer{Timeout: dialTimeout, KeepAlive: keepAlive}
	return &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           max(maxIdleConns, maxIdlePerHost),
		MaxIdleConnsPerHost:    maxIdlePerHost,
		IdleConnTimeout:        idleConnTimeout,
		TLSHandshakeTimeout:    tlsHandshakeTimeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
}

// NewClient returns a copy of base that never follows redirects and gives
// up on an exchange after timeout; base's own Timeout is kept when it is
// shorter, and timeout 0 leaves base's as it is (the request's context
// bounds the call). base nil: a client over a fresh NewTransport(0).
// base's transport is shared, not copied.
func NewClient(base *http.Client, timeout time.Duration) *http.Client {
	c := &http.Client{}
	if base != nil {
		*c = *base
	} else {
		c.Transport = NewTransport(0)
	}
	c.CheckRedirect = NoRedirect
	if timeout > 0 && (c.Timeout == 0 || c.Timeout > timeout) {
		c.Timeout = timeout
	}
	return c
}
