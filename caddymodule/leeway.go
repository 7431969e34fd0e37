package caddymodule

import "time"

// acceptedUntil is the last moment a token that expires at exp can still
// verify: exp plus the largest leeway of the jwt blocks. A once-only
// exchange marker or a deny-list entry must live that long; kept only
// until exp, it would let the same token be exchanged again, or work
// again after logout, for the leeway. Zero stays zero.
func (a *App) acceptedUntil(exp time.Time) time.Time {
	if exp.IsZero() {
		return exp
	}
	var leeway time.Duration
	for _, jc := range a.JWT {
		leeway = max(leeway, time.Duration(jc.Leeway))
	}
	return exp.Add(leeway)
}
