package policy

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// Pass mode (`on_failure ID pass`) is SuperTokens' showAccessDeniedOnFailure:
// false, per validator: a failure of a validator in pass mode does not
// block the request, which goes on with the failures attached, so that a
// new policy can be rolled out and watched before it is enforced. It
// softens only what would be a 403: a missing or refused credential and a
// claim source that fails are decided before any validator runs, and stay
// as they are.

// ModePass is the mode (in an Explanation) of a validator in pass mode.
const ModePass = "pass"

// MaxClaimErrorsBytes bounds the JSON that ClaimErrors returns: upstream
// servers refuse oversized headers (often from 8 KiB per request), and a
// refused request would defeat the point of pass mode.
const MaxClaimErrorsBytes = 4096

// WithPass returns a copy of p in which the validators named by ids are in
// pass mode: when they are the only ones failing, the Denial of Evaluate is
// Soft. An id that p does not have is an error (ErrUnknownID), and so is an
// id given twice (ErrDuplicateID). p itself is unchanged; Merge builds a
// policy without pass modes, so set them on the merged policy.
func (p *Policy) WithPass(ids []string) (*Policy, error) {
	if len(ids) == 0 {
		return p, nil
	}
	pass := make([]bool, p.Len())
	for _, id := range ids {
		i := p.index(id)
		if i < 0 {
			return nil, fmt.Errorf("validator %q in pass mode: %w", id, ErrUnknownID)
		}
		if pass[i] {
			return nil, fmt.Errorf("validator %q in pass mode: %w", id, ErrDuplicateID)
		}
		pass[i] = true
	}
	cp := *p
	cp.pass = pass
	return &cp, nil
}

// Passes reports whether the validator id is in pass mode.
func (p *Policy) Passes(id string) bool {
	i := p.index(id)
	return i >= 0 && p.passes(i)
}

// PassIDs returns the ids of the validators in pass mode, in evaluation
// order.
func (p *Policy) PassIDs() []string {
	var ids []string
	for i, v := range p.list() {
		if p.passes(i) {
			ids = append(ids, v.id)
		}
	}
	return ids
}

// passes reports whether validator i is in pass mode.
func (p *Policy) passes(i int) bool { return p.pass != nil && p.pass[i] }

// index returns the position of the validator id, or -1.
func (p *Policy) index(id string) int {
	for i, v := range p.list() {
		if v.id == id {
			return i
		}
	}
	return -1
}

// AppendFailures returns earlier followed by each failure of later that
// earlier does not hold already (the same id with the same reason). A
// request let through softly by one handler and then by another goes
// upstream with the failures of both; a global validator failing in both
// is listed once. Neither slice is modified.
func AppendFailures(earlier, later []Failure) []Failure {
	if len(earlier) == 0 {
		return later
	}
	out := slices.Clip(earlier)
	for _, f := range later {
		if !slices.ContainsFunc(earlier, func(e Failure) bool { return reflect.DeepEqual(e, f) }) {
			out = append(out, f)
		}
	}
	return out
}

// Soft reports that every failure of d is of a validator in pass mode: the
// request is not blocked and goes on with ClaimErrors. A Denial that
// Evaluate did not build (the zero value) is never soft.
func (d *Denial) Soft() bool { return d.soft }

// ClaimErrors encodes d's failures for the X-Auth-Claim-Errors header: the
// compact JSON list of the 403 body's claimValidationErrors,
//
//	[{"id":"mfa","reason":{"message":"wrong value","expectedValue":true,"actualValue":false}}]
//
// in printable ASCII only (other characters as \uXXXX escapes, which every
// JSON parser reads back exactly), so no byte can break the header or be
// read differently by the upstream. Above MaxClaimErrorsBytes the reasons
// lose actualValue (the upstream has the claims anyway), then the
// expectation, keeping every id and message; a value that cannot be
// encoded is dropped the same way, so the header never reads as fewer
// failures than there are (an empty list would say that nothing failed).
func (d *Denial) ClaimErrors() string {
	var out string
	for _, trim := range []func(*Reason){nil, dropActual, dropExpected} {
		var err error
		if out, err = asciiJSON(trimmed(d.Failures, trim)); err == nil && len(out) <= MaxClaimErrorsBytes {
			break
		}
	}
	return out
}

func dropActual(r *Reason) { r.Actual, r.HasActual = nil, false }

func dropExpected(r *Reason) {
	dropActual(r)
	r.ExpectedField, r.Expected = "", nil
}

// trimmed returns fs with trim applied to a copy of each reason.
func trimmed(fs []Failure, trim func(*Reason)) []Failure {
	if fs == nil {
		return []Failure{}
	}
	if trim == nil {
		return fs
	}
	out := make([]Failure, len(fs))
	for i, f := range fs {
		trim(&f.Reason)
		out[i] = f
	}
	return out
}

// asciiJSON encodes v as compact JSON with every byte outside printable
// ASCII escaped. encoding/json already escapes C0 controls and replaces
// invalid UTF-8; the rest can only occur inside strings, where \uXXXX
// (a surrogate pair above U+FFFF) means the same character.
func asciiJSON(v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(raw))
	var units []uint16
	for i := 0; i < len(raw); {
		if c := raw[i]; c >= 0x20 && c < 0x7f {
			out = append(out, c)
			i++
			continue
		}
		r, size := utf8.DecodeRune(raw[i:])
		i += size
		for _, u := range utf16.AppendRune(units[:0], r) {
			out = append(out, '\\', 'u', hex[u>>12], hex[u>>8&0xf], hex[u>>4&0xf], hex[u&0xf])
		}
	}
	return string(out), nil
}
