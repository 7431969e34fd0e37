package config

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"

	"github.com/authgate/authgate/internal/redirect"
)

// parseOnFailure reads `on_failure <id> redirect <path>` or
// `on_failure <id> pass`, and remembers where it was written.
func (h *Handler) parseOnFailure(d *caddyfile.Dispenser) error {
	args := d.RemainingArgs()
	switch {
	case len(args) == 3 && args[1] == "redirect":
		h.OnFailure = append(h.OnFailure, OnFailureConfig{ID: args[0], Redirect: args[2]})
	case len(args) == 2 && args[1] == "pass":
		h.OnFailure = append(h.OnFailure, OnFailureConfig{ID: args[0], Pass: true})
		if h.Route == "" {
			h.Route = position(d)
		}
	default:
		return d.Err("expected: on_failure <id> redirect <path>, or on_failure <id> pass")
	}
	h.onFailureAt = append(h.onFailureAt, position(d))
	return nil
}

// validateOnFailure checks that each on_failure line has one action and
// that no validator has two: a second line would silently replace the first.
func (h *Handler) validateOnFailure() error {
	seen := map[string]bool{}
	for _, of := range h.OnFailure {
		if !of.Pass && !redirect.Safe(of.Redirect, h.RedirectAllow) {
			return fmt.Errorf("on_failure %s: redirect %q is not a same-origin path or an allowed origin", of.ID, of.Redirect)
		}
		if of.Pass && of.Redirect != "" {
			return fmt.Errorf("on_failure %s: give either redirect or pass", of.ID)
		}
		if seen[of.ID] {
			return fmt.Errorf("on_failure %s given twice", of.ID)
		}
		seen[of.ID] = true
	}
	return nil
}

// PassIDs lists the validators in pass mode, in the order given.
func (h *Handler) PassIDs() []string {
	var ids []string
	for _, of := range h.OnFailure {
		if of.Pass {
			ids = append(ids, of.ID)
		}
	}
	return ids
}

// ParseCaddyfile is UnmarshalCaddyfile followed by CheckOnFailureIDs
// against the global authgate option (the httpcaddyfile.App that the
// adapter holds for it, or nil).
func (h *Handler) ParseCaddyfile(d *caddyfile.Dispenser, globalOption any) error {
	if err := h.UnmarshalCaddyfile(d); err != nil {
		return err
	}
	global, _ := globalOption.(httpcaddyfile.App)
	return h.CheckOnFailureIDs(global.Value)
}

// CheckOnFailureIDs refuses, with the Caddyfile position, an on_failure
// naming no validator of the route: neither one of its require lines nor a
// global validator (global, the JSON of the global authgate options, may be
// nil) that skip_global leaves in. It also refuses an id named twice.
// Provisioning checks the same for JSON configs, without positions.
func (h *Handler) CheckOnFailureIDs(global json.RawMessage) error {
	var app struct {
		Require []RequireConfig `json:"require"`
	}
	if len(global) > 0 {
		if err := json.Unmarshal(global, &app); err != nil {
			return fmt.Errorf("reading the global authgate options: %w", err)
		}
	}
	var ids []string
	for _, rc := range app.Require {
		if id := rc.ValidatorID(); !slices.Contains(h.SkipGlobal, id) {
			ids = append(ids, id)
		}
	}
	for _, rc := range h.Require {
		ids = append(ids, rc.ValidatorID())
	}
	seen := map[string]bool{}
	for i, of := range h.OnFailure {
		at := ""
		if i < len(h.onFailureAt) {
			at = h.onFailureAt[i] + ": "
		}
		if !slices.Contains(ids, of.ID) {
			return fmt.Errorf("%son_failure: unknown validator id %q (the route's validators: %q)", at, of.ID, ids)
		}
		if seen[of.ID] {
			return fmt.Errorf("%son_failure %s given twice", at, of.ID)
		}
		seen[of.ID] = true
	}
	return nil
}

// ValidatorID is the id the validator gets: ID when given, else
// "permission:P" for a permission, else the claim path as written.
func (rc RequireConfig) ValidatorID() string {
	if rc.ID != "" {
		return rc.ID
	}
	if rc.Op == "permission" && len(rc.Values) == 1 {
		var perm string
		if json.Unmarshal(rc.Values[0], &perm) == nil {
			return "permission:" + perm
		}
	}
	return rc.Claim
}
