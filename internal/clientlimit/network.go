package clientlimit

import "net/netip"

// NetworkFactor is how many clients' budgets one network holds.
//
// An IPv6 /64 is one client, but whoever holds a /48 (a free tunnel-broker
// allocation, a small cloud account) holds 65,536 of them, and a /56 (a
// home connection) 256: rotating through them, one host gets that many
// budgets. A network, the /48 around a /64, therefore has a budget of its
// own as well, NetworkFactor times a client's: a few clients of one
// network (an office) are not held back, while the network as a whole
// cannot spend more than that. IPv4 clients have no network: one address
// is already scarce.
const NetworkFactor = 4

// networkBits is the prefix length of a network around an IPv6 client.
const networkBits = 48

// Network returns the network of a client key (as Key returns it): the
// /48 around an IPv6 /64, "" for IPv4 and anything else.
func Network(client string) string {
	p, err := netip.ParsePrefix(client)
	if err != nil || !p.Addr().Is6() {
		return ""
	}
	n, err := p.Addr().Prefix(networkBits)
	if err != nil {
		return ""
	}
	return n.String()
}
