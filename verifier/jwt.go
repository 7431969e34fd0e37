package verifier

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// AssertionType is the typ of the gateway's own identity assertions. They are
// meant for upstreams only; accepting one as a credential would let anything
// that ever saw an assertion replay it at the gateway (RFC 8725 section 3.11).
const AssertionType = "authgate-assertion+jwt"

// defaultTypes are the typ headers accepted when JWTConfig.Types is nil:
// absent, "JWT" and "at+jwt" (RFC 9068), compared after normalizeType.
var defaultTypes = []string{"", "jwt", "at+jwt"}

// Defaults for JWTConfig and RouterOptions.
const (
	defaultMaxClaims     = 256
	defaultMaxDepth      = 16
	defaultMaxTokenBytes = 8192
)

// JWTConfig configures a JWTVerifier. NewJWTVerifier validates it.
type JWTConfig struct {
	// Name is the verifier's name; it becomes Identity.Verifier. Required.
	Name string
	// Issuer is the exact "iss" this verifier accepts. Required.
	Issuer string
	// Audiences lists accepted "aud" values; any one match passes. Required
	// unless AnyAudience is set.
	Audiences []string
	// AnyAudience skips the audience check; it must be asked for explicitly.
	AnyAudience bool
	// Algorithms is the allow-list of "alg" values. Required (pass
	// DefaultAlgorithms or RemoteDefaultAlgorithms for the usual set); never
	// "none"; HS* only with an HMAC key source and never mixed with
	// asymmetric algorithms.
	Algorithms []string
	// Types is the allow-list of "typ" headers, compared case-insensitively
	// and without an "application/" prefix; "" stands for an absent typ.
	// Default (nil): "", "JWT", "at+jwt". "authgate-assertion+jwt" is always
	// refused.
	Types []string
	// Leeway is the clock skew allowed on exp, nbf, iat and MaxAge.
	Leeway time.Duration
	// MaxAge, when set, refuses tokens whose iat is older (reason too_old);
	// a token without iat is then too_old as well. With Recheck, older
	// tokens are confirmed remotely instead. Default: 0 (off).
	MaxAge time.Duration
	// Recheck, when set, confirms validly signed tokens older than MaxAge
	// (every token when MaxAge is 0) with a session service instead of
	// refusing them, as Stytch's authenticate_jwt does: younger tokens never
	// cause a remote call. The service must answer with the token's own sub.
	// A token without iat stays too_old. Default: nil (refuse old tokens).
	Recheck Rechecker
	// RecheckExpired sends expired tokens to Recheck too, when their
	// signature and every other claim are valid. Requires Recheck.
	RecheckExpired bool
	// SubjectTemplate builds Identity.Subject: "{sub}" is replaced by the
	// token's sub, everything else is literal. Default: "{sub}".
	SubjectTemplate string
	// Keys finds the verification key. Required.
	Keys KeySource
	// AllowBoundTokens accepts tokens carrying a "cnf" claim
	// (sender-constrained: DPoP, RFC 9449; mTLS, RFC 8705) as plain bearer
	// tokens, without the proof of possession they require. Default: false
	// (such tokens are refused, reason unsupported_binding).
	AllowBoundTokens bool
	// MaxClaims caps the number of claim values, nested ones included
	// (reason too_large). Default: 256.
	MaxClaims int
	// MaxDepth caps the nesting of claim values (reason too_large).
	// Default: 16.
	MaxDepth int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// JWTVerifier verifies JWTs of one issuer. It is safe for concurrent use.
type JWTVerifier struct {
	cfg       JWTConfig
	types     []string
	parser    *jwt.Parser
	validator *jwt.Validator
	// expiredValidator is validator without the exp rule; it tells an
	// expired token from one that is wrong in other ways too (RecheckExpired).
	expiredValidator *jwt.Validator
}

// NewJWTVerifier applies defaults to cfg, checks it and returns the
// verifier, with its parser and claim validator built once.
func NewJWTVerifier(cfg JWTConfig) (*JWTVerifier, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("configuring JWT verifier %q: %w", cfg.Name, err)
	}
	return &JWTVerifier{
		cfg:              cfg,
		types:            normalizeTypes(cfg.Types),
		parser:           newParser(cfg.Algorithms),
		validator:        newValidator(cfg, true),
		expiredValidator: newValidator(cfg, false),
	}, nil
}

func (c JWTConfig) withDefaults() JWTConfig {
	// Own copies: a caller changing its slices later (or the exported
	// RemoteDefaultAlgorithms) must not change a running verifier.
	c.Audiences = slices.Clone(c.Audiences)
	c.Algorithms = slices.Clone(c.Algorithms)
	c.Types = slices.Clone(c.Types)
	if c.Types == nil {
		c.Types = defaultTypes
	}
	if c.SubjectTemplate == "" {
		c.SubjectTemplate = "{sub}"
	}
	if c.MaxClaims == 0 {
		c.MaxClaims = defaultMaxClaims
	}
	if c.MaxDepth == 0 {
		c.MaxDepth = defaultMaxDepth
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// validate checks a defaulted config. Every rule has its own message so a
// misconfiguration is fixed in one go.
func (c JWTConfig) validate() error {
	var errs []error
	add := func(ok bool, msg string) {
		if !ok {
			errs = append(errs, errors.New(msg))
		}
	}
	add(c.Name != "", "name is required")
	add(c.Issuer != "", "issuer is required")
	add(c.AnyAudience || len(c.Audiences) > 0, "audience is required (or allow any audience explicitly)")
	add(!c.AnyAudience || len(c.Audiences) == 0, "audiences and any audience are mutually exclusive")
	add(!slices.Contains(c.Audiences, ""), "audiences must not be empty strings")
	add(c.Keys != nil, "a key source is required")
	add(!slices.Contains(normalizeTypes(c.Types), AssertionType), "type "+AssertionType+" is reserved for the gateway's assertions")
	add(c.Leeway >= 0 && c.MaxAge >= 0, "leeway and max age must not be negative")
	add(strings.Contains(c.SubjectTemplate, "{sub}"), "subject template must contain {sub}")
	add(c.MaxClaims > 0 && c.MaxDepth > 0, "claim limits must be positive")
	add(!c.RecheckExpired || c.Recheck != nil, "recheck expired needs a recheck")
	errs = append(errs, checkAlgorithms(c.Algorithms, c.Keys))
	return errors.Join(errs...)
}

// checkAlgorithms enforces RFC 8725 section 3.1 and 2.1: an explicit
// allow-list, no "none", and no algorithm that could be confused with the
// key source's kind (HS* verified with a public key is the classic forgery).
func checkAlgorithms(algs []string, keys KeySource) error {
	if len(algs) == 0 {
		return errors.New("algorithms: at least one is required")
	}
	hmac := 0
	for _, a := range algs {
		switch {
		case strings.EqualFold(a, "none"):
			return errors.New(`algorithms: "none" is never allowed`)
		case !slices.Contains(RemoteDefaultAlgorithms, a) && !slices.Contains(hmacAlgorithms, a):
			return fmt.Errorf("algorithms: %q is not supported", a)
		case isHMAC(a):
			hmac++
		}
	}
	static, isStatic := keys.(*StaticKeySource)
	switch {
	case hmac > 0 && hmac < len(algs):
		return errors.New("algorithms: HMAC and public-key algorithms must not be mixed")
	case hmac > 0 && !(isStatic && static.isHMAC()):
		return errors.New("algorithms: HS* algorithms need an HMAC secret key source")
	case hmac == 0 && isStatic && static.isHMAC():
		return errors.New("algorithms: an HMAC secret needs HS* algorithms")
	}
	for _, a := range algs {
		if isStatic && !static.supports(a) {
			return fmt.Errorf("algorithms: no configured key can verify %s (HMAC secrets need at least %d bytes)", a, hmacMinLen(a))
		}
	}
	return nil
}

// newParser builds the one parser used for every token: explicit algorithm
// allow-list, strict base64, numbers kept exact (json.Number: an id above
// 2^53 must not compare equal to its neighbours), and no claim validation,
// which runs afterwards with the validator of the verifier the token was
// routed to.
func newParser(algs []string) *jwt.Parser {
	return jwt.NewParser(
		jwt.WithValidMethods(algs),
		jwt.WithoutClaimsValidation(),
		jwt.WithStrictDecoding(),
		jwt.WithJSONNumber(),
	)
}

// newValidator builds the claim validator; requireExp false leaves out
// the exp rule, for telling expired tokens apart (RecheckExpired).
func newValidator(c JWTConfig, requireExp bool) *jwt.Validator {
	opts := []jwt.ParserOption{
		jwt.WithIssuer(c.Issuer),
		jwt.WithLeeway(c.Leeway),
		jwt.WithTimeFunc(c.Now),
		jwt.WithIssuedAt(),
	}
	if requireExp {
		opts = append(opts, jwt.WithExpirationRequired())
	}
	if !c.AnyAudience {
		opts = append(opts, jwt.WithAudience(c.Audiences...))
	}
	return jwt.NewValidator(opts...)
}

// Name returns the verifier's name.
func (v *JWTVerifier) Name() string { return v.cfg.Name }

// Issuer returns the issuer the verifier accepts.
func (v *JWTVerifier) Issuer() string { return v.cfg.Issuer }

// Verify checks a JWT credential. It returns ErrNotResponsible when the
// token parses but names another issuer (or none), so chains can try the
// next verifier, and a malformed *RejectedError that also matches
// ErrNotResponsible when the credential is not structurally a JWT; every
// other failure is a *RejectedError or, when keys
// cannot be loaded, an *UnavailableError. Tokens over 8 KiB are rejected
// (too_large) unparsed.
func (v *JWTVerifier) Verify(ctx context.Context, cred Credential) (*Identity, error) {
	if err := checkSize(cred.Value, defaultMaxTokenBytes); err != nil {
		return nil, err
	}
	return verifyToken(ctx, v.parser, cred.Value, v.pickSelf)
}

func (v *JWTVerifier) pickSelf(iss string) *JWTVerifier {
	if iss == v.cfg.Issuer {
		return v
	}
	return nil
}

// checkSize refuses credentials over max bytes before any decoding, so an
// oversized token costs nothing but its length check.
func checkSize(token string, max int) error {
	if len(token) > max {
		return Reject(ReasonTooLarge, fmt.Errorf("token is larger than %d bytes", max))
	}
	return nil
}
