package caddymodule

import (
	"net/http"
	"net/netip"
	"time"

	"github.com/authgate/authgate/internal/clientlimit"
)

// networkLimits are the per-network budgets of an oidc block: the /48
// around an IPv6 client, which holds 65,536 /64 clients, gets
// clientlimit.NetworkFactor times a client's logins and failed callbacks,
// so rotating through the /64s of one /48 does not multiply them. IPv4
// clients have no network.
type networkLimits struct {
	logins, failures *clientLimiter
}

func newNetworkLimits(oc *OIDCConfig) networkLimits {
	f := clientlimit.NetworkFactor
	return networkLimits{
		logins:   newClientLimiter(oc.LoginLimit.Events*f, time.Duration(oc.LoginLimit.Window)),
		failures: newClientLimiter(oc.FailureLimit.Events*f, time.Duration(oc.FailureLimit.Window)),
	}
}

// networkOf returns the /48 around an IPv6 client key, or false.
func networkOf(client netip.Prefix) (netip.Prefix, bool) {
	if !client.IsValid() || !client.Addr().Is6() {
		return netip.Prefix{}, false
	}
	n, err := client.Addr().Prefix(48)
	return n, err == nil
}

// takeLogin spends one login of r's client and of its network; when
// either has none left it returns how long until it has (the network's
// budget is checked first, so a refused network costs the client nothing).
func (l *oidcLimits) takeLogin(r *http.Request) time.Duration {
	client := clientKey(r)
	network, ok := networkOf(client)
	if ok {
		if wait := l.networks.logins.blocked(network); wait > 0 {
			return wait
		}
	}
	if wait := l.logins.take(client); wait > 0 {
		return wait
	}
	if ok {
		return l.networks.logins.take(network)
	}
	return 0
}

// failuresBlocked returns how long until r's client and its network may
// fail a callback again: 0 when both may now.
func (l *oidcLimits) failuresBlocked(r *http.Request) time.Duration {
	client := clientKey(r)
	if wait := l.failures.blocked(client); wait > 0 {
		return wait
	}
	if network, ok := networkOf(client); ok {
		return l.networks.failures.blocked(network)
	}
	return 0
}

// takeFailure spends one failed callback of r's client and its network.
func (l *oidcLimits) takeFailure(r *http.Request) {
	client := clientKey(r)
	l.failures.take(client)
	if network, ok := networkOf(client); ok {
		l.networks.failures.take(network)
	}
}
