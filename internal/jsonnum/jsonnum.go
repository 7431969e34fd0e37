// Package jsonnum decodes JSON with its numbers kept exact, as json.Number,
// and reads such numbers. A claim like a Discord guild_id
// (1234567890123456789) does not fit a float64: decoded the encoding/json
// default way it would silently become 1234567890123456768, compare equal to
// a different id and reach headers with the wrong digits.
package jsonnum

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

var errTrailing = errors.New("invalid character after top-level value")

// Unmarshal is json.Unmarshal with numbers decoded as json.Number wherever
// the target is an interface value (claims maps, for instance). Like
// json.Unmarshal it refuses anything but white space after the value.
func Unmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errTrailing
	}
	return nil
}

// Float returns v as a float64 when it is a number as a decoder or a Go
// caller may produce it: json.Number, a float or an integer type. It is for
// times and limits, where float64 is precise enough; never compare claim
// values with it.
func Float(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint32:
		return float64(n), true
	}
	return 0, false
}
