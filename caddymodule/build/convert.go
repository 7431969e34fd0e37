package build

import (
	"fmt"
	"time"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/forward"
	"github.com/authgate/authgate/internal/headername"
	"github.com/authgate/authgate/internal/jsonnum"
	"github.com/authgate/authgate/oidclogin"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// Source is a configured credential source in verifier's terms. The
// header X-Auth-Claim-Errors (any spelling) is refused: a credential read
// from it would be kept (not stripped) and forwarded under that name on
// requests where nothing failed, and an app must be able to trust that the
// header is the gateway's list of failures.
func Source(s config.SourceConfig) (verifier.Source, error) {
	switch {
	case s.Header != "" && headername.Equal(s.Header, forward.ClaimErrorsHeader):
		return verifier.Source{}, fmt.Errorf("credential source: header %s is reserved for the failures of validators in pass mode", s.Header)
	case s.Header != "" && s.Cookie == "":
		return verifier.Source{Kind: verifier.SourceHeader, Name: s.Header, Scheme: s.Scheme}, nil
	case s.Cookie != "" && s.Header == "" && s.Scheme == "":
		return verifier.Source{Kind: verifier.SourceCookie, Name: s.Cookie}, nil
	}
	return verifier.Source{}, fmt.Errorf("credential source needs exactly one of header or cookie")
}

// Sources are a verifier's configured credential sources in verifier's
// terms; none configured means the Authorization header's Bearer token.
func Sources(from []config.SourceConfig) ([]verifier.Source, error) {
	if len(from) == 0 {
		return []verifier.Source{{Kind: verifier.SourceHeader, Name: "Authorization", Scheme: "Bearer"}}, nil
	}
	out := make([]verifier.Source, 0, len(from))
	for _, sc := range from {
		s, err := Source(sc)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// HeaderSpecs converts the configured headers for package forward.
func HeaderSpecs(cfgs []config.HeaderConfig) []forward.Spec {
	out := make([]forward.Spec, len(cfgs))
	for i, hc := range cfgs {
		out[i] = forward.Spec{Name: hc.Name, Value: hc.Value, JSON: hc.JSON}
	}
	return out
}

// specOf is a configured validator in policy's terms, its operands decoded
// with exact numbers.
func specOf(rc config.RequireConfig) (policy.Spec, error) {
	s := policy.Spec{ID: rc.ID, Claim: rc.Claim, Op: policy.Op(rc.Op), Subdomains: rc.Subdomains}
	for _, raw := range rc.Values {
		var v any
		if err := jsonnum.Unmarshal(raw, &v); err != nil {
			return s, fmt.Errorf("validator %q: value %s: %w", rc.Op, raw, err)
		}
		s.Values = append(s.Values, v)
	}
	for _, text := range rc.ValuesText {
		var v any
		if err := jsonnum.Unmarshal([]byte(text), &v); err != nil {
			return s, fmt.Errorf("validator %q: value %s: %w", rc.Op, text, err)
		}
		s.Values = append(s.Values, v)
	}
	if rc.MaxAge != nil {
		s.MaxAge, s.HasMaxAge = time.Duration(*rc.MaxAge), true
	}
	return s, nil
}

// Policy compiles validator configs into a policy.
func Policy(reqs []config.RequireConfig, opts policy.Options) (*policy.Policy, error) {
	specs := make([]policy.Spec, 0, len(reqs))
	for _, rc := range reqs {
		s, err := specOf(rc)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	return policy.Compile(specs, opts)
}

// limitOf is a per-client budget in oidclogin's terms.
func limitOf(l *config.RateLimit) oidclogin.Limit {
	return oidclogin.Limit{Events: l.Events, Window: time.Duration(l.Window)}
}
