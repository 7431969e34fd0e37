// Package firewall holds the opt-in path firewall of a route (reject_paths):
// rules that refuse path spellings an upstream may read differently from
// the gateway's matchers (encoded separators, path parameters, trailing
// dots), checked on every decoding layer of the path.
//
// It works on plain strings: no net/http request, no Caddy, no zap.
package firewall
