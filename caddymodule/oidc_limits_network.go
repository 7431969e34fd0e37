package caddymodule

import (
	"net/http"
	"time"

	"github.com/authgate/authgate/internal/clientlimit"
)

// networkLimits are the per-network budgets of an oidc block: the /48
// around an IPv6 client, which holds 65,536 /64 clients, gets
// clientlimit.NetworkFactor times a client's logins and failed callbacks,
// so rotating through the /64s of one /48 does not multiply them. IPv4
// clients have no network.
type networkLimits struct {
	logins, failures *clientlimit.Table
}

func newNetworkLimits(oc *OIDCConfig) networkLimits {
	f := clientlimit.NetworkFactor
	return networkLimits{
		logins:   newClientTable(oc.LoginLimit.Events*f, time.Duration(oc.LoginLimit.Window)),
		failures: newClientTable(oc.FailureLimit.Events*f, time.Duration(oc.FailureLimit.Window)),
	}
}

// takeLogin spends one login of r's client and of its network; when
// either has none left it returns how long until it has (the network's
// budget is checked first, so a refused network costs the client nothing).
func (l *oidcLimits) takeLogin(r *http.Request) time.Duration {
	client := clientKey(r)
	network := clientlimit.Network(client)
	if network != "" {
		if wait := l.networks.logins.Wait(network); wait > 0 {
			return wait
		}
	}
	if ok, wait := l.logins.Take(client); !ok {
		return wait
	}
	if network != "" {
		if ok, wait := l.networks.logins.Take(network); !ok {
			return wait
		}
	}
	return 0
}

// failuresBlocked returns how long until r's client and its network may
// fail a callback again: 0 when both may now.
func (l *oidcLimits) failuresBlocked(r *http.Request) time.Duration {
	client := clientKey(r)
	if wait := l.failures.Wait(client); wait > 0 {
		return wait
	}
	if network := clientlimit.Network(client); network != "" {
		return l.networks.failures.Wait(network)
	}
	return 0
}

// takeFailure spends one failed callback of r's client and its network.
func (l *oidcLimits) takeFailure(r *http.Request) {
	client := clientKey(r)
	l.failures.Take(client)
	if network := clientlimit.Network(client); network != "" {
		l.networks.failures.Take(network)
	}
}
