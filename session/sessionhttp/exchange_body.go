package sessionhttp

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/authgate/authgate/verifier"
	"github.com/authgate/authgate/verifier/credential"
)

// Reasons of a 400 answer to an exchange whose body asks for what it may
// not have.
const (
	// ReasonInvalidSessionDuration: session_duration is not a positive
	// number of seconds or duration string.
	ReasonInvalidSessionDuration = "invalid_session_duration"
	// ReasonSessionDurationTooLong: session_duration is above the
	// configured lifetime.
	ReasonSessionDurationTooLong = "session_duration_too_long"
	// ReasonClaimsNotAllowed: the body tries to set the session's claims,
	// which only the admin API may do.
	ReasonClaimsNotAllowed = "claims_not_allowed"
)

// badExchange is an exchange body refused with 400 and a reason.
type badExchange struct{ reason string }

func (b *badExchange) Error() string { return "exchange body refused: " + b.reason }

// exchangeRequest is what an exchange request carries: the token and the
// options of its JSON body.
type exchangeRequest struct {
	token string
	// duration is the session_duration asked for; 0: the lifetime.
	duration time.Duration
	// ret is how the session token is answered: "cookie" (also when
	// empty) or "token" (in the body, bearer on only).
	ret string
}

// exchangeBody is the JSON body of an exchange. A client never chooses
// its session's claims: the claim members are read only to refuse them
// (Stytch clients send session_custom_claims), and unknown members are
// ignored.
type exchangeBody struct {
	IDToken         string          `json:"id_token"`
	SessionDuration json.RawMessage `json:"session_duration"`
	Return          string          `json:"return"`

	Claims              json.RawMessage `json:"claims"`
	CustomClaims        json.RawMessage `json:"custom_claims"`
	SessionCustomClaims json.RawMessage `json:"session_custom_claims"`
}

// readExchange reads the token to exchange from the Authorization header
// or a JSON body {"id_token": "…"} of bounded size, and the body's
// options (with a Bearer header too, when the body is JSON). An HTML form
// can send neither, which is what keeps cross-site forms out.
func readExchange(r *http.Request, maxBytes int) (exchangeRequest, error) {
	tok, present, err := credential.ReadHeader(r.Header, bearer)
	if err != nil {
		return exchangeRequest{}, err
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "application/json" {
		if present {
			return exchangeRequest{token: tok}, nil
		}
		if r.ContentLength > 0 || r.Header.Get("Content-Type") != "" {
			return exchangeRequest{}, errNotJSON
		}
		return exchangeRequest{}, verifier.ErrNoCredential
	}
	var body exchangeBody
	data, err := io.ReadAll(io.LimitReader(r.Body, int64(maxBytes)+1024))
	// With the token in the header, an empty JSON body has no options.
	if err != nil || (len(data) > 0 || !present) && json.Unmarshal(data, &body) != nil {
		return exchangeRequest{}, verifier.Reject(verifier.ReasonMalformed, errors.New("exchange body is not a JSON object with id_token"))
	}
	if body.Claims != nil || body.CustomClaims != nil || body.SessionCustomClaims != nil {
		return exchangeRequest{}, &badExchange{ReasonClaimsNotAllowed}
	}
	if present && body.IDToken != "" {
		return exchangeRequest{}, verifier.Reject(verifier.ReasonMalformed, errors.New("exchange request carries two tokens"))
	}
	req := exchangeRequest{token: tok, ret: body.Return}
	if !present {
		req.token = body.IDToken
	}
	if req.token == "" {
		return exchangeRequest{}, verifier.ErrNoCredential
	}
	if req.duration, err = parseTTL(body.SessionDuration); err != nil {
		return exchangeRequest{}, &badExchange{ReasonInvalidSessionDuration}
	}
	return req, nil
}

var days = regexp.MustCompile(`(\d+(?:\.\d+)?)d`)

// parseDurationString parses a Go duration that may also count days
// ("1d12h"), as Caddy's durations do.
func parseDurationString(s string) (time.Duration, error) {
	if len(s) > 64 {
		return 0, errInvalidTTL
	}
	s = days.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.ParseFloat(m[:len(m)-1], 64)
		return strconv.FormatFloat(n*24, 'f', -1, 64) + "h"
	})
	return time.ParseDuration(s)
}
