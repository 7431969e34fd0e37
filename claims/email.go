package claims

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// ErrBadDomain matches every error of NormalizeDomain.
var ErrBadDomain = errors.New("bad domain name")

// domainProfile is IDNA2008 with UTS #46 lookup mapping, non-transitional
// (ß stays ß, as browsers resolve it): upper case and full-width forms map
// to lower-case ASCII, labels are checked (STD3 characters, hyphens, bidi),
// and each label and the whole name must fit DNS (no empty label).
var domainProfile = idna.New(idna.MapForLookup(), idna.BidiRule(),
	idna.VerifyDNSLength(true), idna.Transitional(false))

// NormalizeDomain returns the canonical form of a domain name: lower case,
// each label in its ASCII form (an IDN as its "xn--" A-label), so
// "Bücher.Example", "BÜCHER.example" and "xn--bcher-kva.example" are one
// name. It refuses a trailing dot (written "." or as a full stop that maps
// to one, such as "。"), an empty label, characters a host name cannot
// hold (space, "_", "*", "@", brackets), invalid UTF-8 and labels that
// fail IDNA, with an error matching ErrBadDomain.
func NormalizeDomain(s string) (string, error) {
	// idna reads invalid UTF-8 as U+FFFD and encodes that into an A-label,
	// which would make many byte strings one domain.
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("%w: invalid UTF-8", ErrBadDomain)
	}
	ascii, err := domainProfile.ToASCII(s)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrBadDomain, err)
	}
	// VerifyDNSLength lets one trailing dot through (the root label); an
	// e-mail domain never has it, and accepting it would make
	// "corp.example." a second spelling of "corp.example".
	if ascii == "" || strings.HasSuffix(ascii, ".") {
		return "", fmt.Errorf("%w: empty label", ErrBadDomain)
	}
	return ascii, nil
}

// DomainOperand returns the normalised form of a configured domain, the
// operand of in_domain (see NormalizeDomain), or an error that says how to
// write it: a domain, not "@corp.example" or "*.corp.example".
func DomainOperand(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "@"):
		return "", fmt.Errorf("%w: write the domain without \"@\" (%q)", ErrBadDomain, s[1:])
	case strings.HasPrefix(s, "*."):
		return "", fmt.Errorf("%w: write %q with the word subdomains, not a wildcard", ErrBadDomain, s[2:])
	}
	return NormalizeDomain(s)
}

// EmailDomain returns the normalised domain (see NormalizeDomain) of an
// e-mail address and true, or "" and false when addr is not one: it must
// hold exactly one "@" with a non-empty part before it and a valid domain
// after it. Quoted local parts holding "@" ("a@b"@corp.example) are refused
// rather than parsed: an address read two ways is a bypass waiting to
// happen. The local part is otherwise not checked: the domain is what
// decides.
func EmailDomain(addr string) (string, bool) {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok || local == "" || strings.Contains(domain, "@") {
		return "", false
	}
	d, err := NormalizeDomain(domain)
	if err != nil {
		return "", false
	}
	return d, true
}

// InDomain reports whether the normalised domain d is want (normalised
// too) or, with subdomains, a name under it: "eu.corp.example" is under
// "corp.example", "evilcorp.example" is not.
func InDomain(d, want string, subdomains bool) bool {
	if d == want {
		return true
	}
	return subdomains && strings.HasSuffix(d, "."+want)
}
