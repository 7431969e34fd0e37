package policy

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/authgate/authgate/claims"
)

// Reason messages, exactly as SuperTokens' claim validators write them.
const (
	// MessageMissing means the claim is absent (JSON null is present).
	MessageMissing = "value does not exist"
	// MessageWrongValue means the claim is present and fails the check.
	MessageWrongValue = "wrong value"
	// MessageExpired means the claim is older than the validator's max age
	// and has no claim source to refetch it from.
	MessageExpired = "expired"
)

// Names of the JSON field that carries Reason.Expected. The first three are
// SuperTokens'; the others are authgate's own, for its own ops, named the
// way SuperTokens names its.
const (
	FieldExpectedValue        = "expectedValue"        // has_value, is_true, is_false
	FieldExpectedToInclude    = "expectedToInclude"    // includes, includes_all
	FieldExpectedToNotInclude = "expectedToNotInclude" // excludes, excludes_all
	FieldExpectedToBeOneOf    = "expectedToBeOneOf"    // one_of: the allowed values
	FieldExpectedPermission   = "expectedPermission"   // permission: the permission required
	FieldExpectedToStartWith  = "expectedToStartWith"  // starts_with: the prefix
	FieldExpectedToEndWith    = "expectedToEndWith"    // ends_with: the suffix
	FieldExpectedToMatch      = "expectedToMatch"      // matches: the pattern as configured
	FieldExpectedDomain       = "expectedDomain"       // in_domain: the normalised domain
)

// messageInvalidClaim is the top-level message of a 403 body.
const messageInvalidClaim = "invalid claim"

// Denial is the outcome of a policy that an identity failed: every failing
// validator, in policy order. It is an error matching ErrDenied; callers
// answer 403 with its JSON encoding, SuperTokens' body:
//
//	{"message":"invalid claim","claimValidationErrors":[{"id":"roles","reason":{…}}]}
type Denial struct {
	Failures []Failure
	// soft: every failing validator is in pass mode (see Soft).
	soft bool
}

// Failure is one failing validator: its id and why it failed.
type Failure struct {
	ID     string `json:"id"`
	Reason Reason `json:"reason"`
}

// Reason says why a validator failed. Only the fields that are set appear in
// its JSON encoding, in this order: message, the expected field, actualValue,
// ageInSeconds, maxAgeInSeconds.
type Reason struct {
	// Message is MessageMissing, MessageWrongValue or MessageExpired.
	Message string
	// ExpectedField names the JSON field holding Expected (one of the Field
	// constants); empty when the reason carries no expectation.
	ExpectedField string
	// Expected is what the validator wanted.
	Expected any
	// Actual is the claim value found, set when HasActual (JSON null is a
	// value: Actual nil with HasActual true encodes "actualValue":null).
	Actual    any
	HasActual bool
	// Age is how old the value was, set when HasAge (an expired value of
	// unknown age has none). Encoded as ageInSeconds with millisecond
	// precision, as SuperTokens does.
	Age    time.Duration
	HasAge bool
	// MaxAge is the validator's max age, set when HasMaxAge; encoded as
	// maxAgeInSeconds.
	MaxAge    time.Duration
	HasMaxAge bool
}

// Error lists the failing validator ids and messages. It never includes
// claim values, which may be personal data.
func (d *Denial) Error() string {
	var b strings.Builder
	b.WriteString("validating claims: ")
	for i, f := range d.Failures {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.ID)
		b.WriteString(": ")
		b.WriteString(f.Reason.Message)
	}
	return b.String()
}

// Is makes every Denial match ErrDenied.
func (d *Denial) Is(target error) bool { return target == ErrDenied }

// MarshalJSON encodes the SuperTokens-compatible 403 body.
func (d *Denial) MarshalJSON() ([]byte, error) {
	failures := d.Failures
	if failures == nil {
		failures = []Failure{}
	}
	return json.Marshal(struct {
		Message string    `json:"message"`
		Errors  []Failure `json:"claimValidationErrors"`
	}{messageInvalidClaim, failures})
}

// MarshalJSON encodes the reason with its fields in a fixed order.
func (r Reason) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 96)
	b = append(b, `{"message":`...)
	b, err := appendJSON(b, r.Message)
	if err == nil && r.ExpectedField != "" {
		b = appendKey(b, r.ExpectedField)
		b, err = appendJSON(b, r.Expected)
	}
	if err == nil && r.HasActual {
		b = appendKey(b, "actualValue")
		b, err = appendJSON(b, r.Actual)
	}
	if err != nil {
		return nil, err
	}
	if r.HasAge {
		b = appendKey(b, "ageInSeconds")
		b, _ = claims.AppendNumber(b, float64(r.Age.Milliseconds())/1000)
	}
	if r.HasMaxAge {
		b = appendKey(b, "maxAgeInSeconds")
		b, _ = claims.AppendNumber(b, r.MaxAge.Seconds())
	}
	return append(b, '}'), nil
}

// appendKey appends `,"name":`; names are the package's own constants.
func appendKey(b []byte, name string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	return append(b, '"', ':')
}

func appendJSON(b []byte, v any) ([]byte, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, out...), nil
}
