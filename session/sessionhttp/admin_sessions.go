package sessionhttp

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/authgate/authgate/session"
	"github.com/authgate/authgate/verifier"
)

// sessions serves /authgate/sessions: POST creates, GET ?user_id lists,
// DELETE ?user_id revokes all of a user's sessions.
func (a *adminCall) sessions() error {
	ctx := a.r.Context()
	switch a.r.Method {
	case http.MethodPost:
		return a.create()
	case http.MethodGet, http.MethodDelete:
	default:
		return methodError("GET, POST, DELETE")
	}
	user := a.r.URL.Query().Get("user_id")
	if user == "" {
		return apiError(http.StatusBadRequest, "user_id query parameter is required")
	}
	if a.r.Method == http.MethodDelete {
		n, err := a.admin.sessions.RevokeUser(ctx, user)
		if err != nil {
			return storeError(err)
		}
		a.admin.audit(a.r, "sessions.revoke_user", "user_id", user, "revoked", n)
		return a.reply(http.StatusOK, map[string]any{"revoked": n})
	}
	list, err := a.admin.sessions.List(ctx, user)
	if err != nil {
		return storeError(err)
	}
	views := make([]map[string]any, 0, len(list))
	for _, s := range list {
		views = append(views, sessionView(s))
	}
	return a.reply(http.StatusOK, map[string]any{"sessions": views})
}

// create mints a session for a user (server-side login) and returns its
// token: the only time the token is ever shown.
func (a *adminCall) create() error {
	var body struct {
		UserID string          `json:"user_id"`
		Claims map[string]any  `json:"claims"`
		TTL    json.RawMessage `json:"ttl"`
	}
	if err := a.decode(&body); err != nil {
		return err
	}
	if body.UserID == "" {
		return apiError(http.StatusBadRequest, "user_id is required")
	}
	if !verifier.ValidSubject(body.UserID) {
		return apiError(http.StatusBadRequest, "user_id must not hold control characters")
	}
	ttl, err := parseTTL(body.TTL)
	if err != nil {
		return apiError(http.StatusBadRequest, "ttl: "+err.Error())
	}
	for name := range body.Claims {
		if a.admin.fetchable(name) {
			return apiError(http.StatusConflict, "claim "+strconv.Quote(name)+" has a claim source; it is refreshed, not set")
		}
	}
	tok, s, err := a.admin.sessions.Create(a.r.Context(), session.NewSession{UserID: body.UserID, Claims: body.Claims, TTL: ttl})
	if err != nil {
		return storeError(err)
	}
	a.admin.audit(a.r, "session.create", "session_id", s.ID, "user_id", s.UserID, "claims", claimNames(body.Claims))
	return a.reply(http.StatusCreated, map[string]any{
		"session_token": tok, "session_id": s.ID, "user_id": s.UserID,
		"expires_at": s.Expires.UTC().Format(time.RFC3339),
	})
}

var errInvalidTTL = errors.New("want a positive Go duration string or integer seconds")

// parseTTL reads a duration string ("1h", "1d12h": Go's units and days)
// or integer seconds; absent or null is 0.
func parseTTL(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var secs int64
	if err := json.Unmarshal(raw, &secs); err == nil {
		if secs <= 0 || secs > int64(math.MaxInt64/time.Second) {
			return 0, errInvalidTTL
		}
		return time.Duration(secs) * time.Second, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return 0, errInvalidTTL
	}
	d, err := parseDurationString(s)
	if err != nil || d <= 0 {
		return 0, errInvalidTTL
	}
	return d, nil
}

// session serves /authgate/sessions/{id}: GET shows, DELETE revokes.
func (a *adminCall) session(id string) error {
	switch a.r.Method {
	case http.MethodGet:
		s, err := a.admin.sessions.Get(a.r.Context(), id)
		if err != nil {
			return storeError(err)
		}
		return a.reply(http.StatusOK, sessionView(s))
	case http.MethodDelete:
		s, err := a.admin.sessions.Revoke(a.r.Context(), id)
		if err != nil {
			return storeError(err)
		}
		user := ""
		if s != nil {
			user = s.UserID
		}
		a.admin.audit(a.r, "session.revoke", "session_id", id, "user_id", user)
		return a.reply(http.StatusNoContent, nil)
	}
	return methodError("GET, DELETE")
}

// claim serves /authgate/sessions/{id}/claims/{claim}: PUT sets it (the
// body is the raw JSON value, null included), DELETE removes it (404 when
// the session does not hold it). Reserved claims are refused (400), and so
// are claims that have a claim source (409): those are subject-scoped and
// refreshed.
func (a *adminCall) claim(id, name string) error {
	if a.r.Method != http.MethodPut && a.r.Method != http.MethodDelete {
		return methodError("PUT, DELETE")
	}
	if session.IsReserved(name) {
		return apiError(http.StatusBadRequest, "claim "+strconv.Quote(name)+" is reserved")
	}
	if a.admin.fetchable(name) {
		return apiError(http.StatusConflict, "claim "+strconv.Quote(name)+" has a claim source; it is refreshed, not set")
	}
	if a.r.Method == http.MethodDelete {
		return a.deleteClaim(id, name)
	}
	var value any
	if err := a.decode(&value); err != nil {
		return err
	}
	s, err := a.admin.sessions.Get(a.r.Context(), id)
	if err != nil {
		return storeError(err)
	}
	if err := a.admin.sessions.SetClaim(a.r.Context(), id, name, value); err != nil {
		return storeError(err)
	}
	// The claim's name only: its value may be a secret.
	a.admin.audit(a.r, "session.set_claim", "session_id", id, "user_id", s.UserID, "claim", name)
	return a.reply(http.StatusNoContent, nil)
}

// deleteClaim removes a claim of a live session.
func (a *adminCall) deleteClaim(id, name string) error {
	s, err := a.admin.sessions.Get(a.r.Context(), id)
	if err != nil {
		return storeError(err)
	}
	if err := a.admin.sessions.DeleteClaim(a.r.Context(), id, name); err != nil {
		return storeError(err)
	}
	a.admin.audit(a.r, "session.delete_claim", "session_id", id, "user_id", s.UserID, "claim", name)
	return a.reply(http.StatusNoContent, nil)
}

// revocations serves POST /authgate/revocations {"jti"|"sub", "until"},
// with an optional "iss" next to "jti": the token with that jti from that
// issuer only (a jti alone matches every issuer).
func (a *adminCall) revocations() error {
	if a.r.Method != http.MethodPost {
		return methodError("POST")
	}
	var body struct {
		JTI   string `json:"jti"`
		Iss   string `json:"iss"`
		Sub   string `json:"sub"`
		Until string `json:"until"`
	}
	if err := a.decode(&body); err != nil {
		return err
	}
	if (body.JTI == "") == (body.Sub == "") {
		return apiError(http.StatusBadRequest, "exactly one of jti and sub is required")
	}
	if body.Iss != "" && body.JTI == "" {
		return apiError(http.StatusBadRequest, "iss goes with jti only")
	}
	until, err := time.Parse(time.RFC3339, body.Until)
	if err != nil || !until.After(time.Now()) {
		return apiError(http.StatusBadRequest, "until must be an RFC 3339 time in the future")
	}
	d := session.Denial{JTI: body.JTI, Subject: body.Sub, Until: until}
	if body.Iss != "" {
		d = session.Denial{Token: session.IssuerJTIKey(body.Iss, body.JTI), Until: until}
	}
	n, err := a.admin.sessions.Deny(a.r.Context(), d)
	if err != nil {
		return storeError(err)
	}
	kv := []any{"until", until.UTC().Format(time.RFC3339), "revoked_sessions", n}
	switch {
	case body.Sub != "":
		kv = append(kv, "sub", body.Sub)
	case body.Iss != "":
		kv = append(kv, "jti", body.JTI, "iss", body.Iss)
	default:
		kv = append(kv, "jti", body.JTI)
	}
	a.admin.audit(a.r, "revocation.create", kv...)
	return a.reply(http.StatusCreated, map[string]any{"revoked_sessions": n, "until": until.UTC().Format(time.RFC3339)})
}

// claimNames returns the sorted names of claims, never their values.
func claimNames(claims map[string]any) []string {
	names := make([]string, 0, len(claims))
	for name := range claims {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
