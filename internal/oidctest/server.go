package oidctest

import (
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"
)

// routes maps the provider's endpoints, all under the issuer URL.
func (p *Provider) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.publishJWKS)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	mux.HandleFunc("GET /userinfo", p.userinfo)
	mux.HandleFunc("POST /userinfo", p.userinfo)
	mux.HandleFunc("GET /logout", p.endSession)
	mux.HandleFunc("POST /logout", p.endSession)
	return mux
}

// serve starts serving on l. The caller holds srvMu or owns p exclusively.
func (p *Provider) serve(l net.Listener) {
	srv := &http.Server{Handler: p.routes(), ReadHeaderTimeout: 10 * time.Second}
	// One connection per request. Otherwise a client may reuse a pooled
	// connection that Stop closed before it noticed, and get EOF instead of
	// "connection refused" while down, or on its first request after Start.
	srv.SetKeepAlivesEnabled(false)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(l) // returns http.ErrServerClosed after Stop
	}()
	p.srv, p.done = srv, done
}

// Stop closes the listener and every open connection, so requests to the
// provider fail with "connection refused" until Start (the provider never
// keeps connections alive, so no client holds a pooled one). Stopping a stopped
// provider does nothing.
func (p *Provider) Stop() {
	p.srvMu.Lock()
	defer p.srvMu.Unlock()
	if p.srv == nil {
		return
	}
	_ = p.srv.Close()
	<-p.done
	p.srv, p.done = nil, nil
}

// Start listens again on the address the provider had, so the issuer URL,
// keys, codes, tokens and sessions all survive a Stop/Start outage.
// Starting a running provider does nothing. It fails the test if the port
// cannot be bound again within a few seconds.
func (p *Provider) Start() {
	p.srvMu.Lock()
	defer p.srvMu.Unlock()
	if p.srv != nil {
		return
	}
	l, err := relisten(p.addr)
	if err != nil {
		p.t.Fatalf("oidctest: listening again on %s: %v", p.addr, err)
	}
	p.serve(l)
}

// relisten binds addr, retrying briefly while it is still in use: Go sets
// SO_REUSEADDR, so this normally succeeds at once, but another process may
// have taken the port in between.
func relisten(addr string) (net.Listener, error) {
	deadline := time.Now().Add(3 * time.Second)
	for {
		l, err := net.Listen("tcp", addr)
		if err == nil || !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			return l, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}
