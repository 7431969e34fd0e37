package caddymodule

import "time"

// maxLeeway is the largest clock leeway of the jwt blocks: a token verifies
// until its exp plus this, so once-only exchange markers and deny-list
// entries must live that long too.
func (a *App) maxLeeway() time.Duration {
	var leeway time.Duration
	for _, jc := range a.JWT {
		leeway = max(leeway, time.Duration(jc.Leeway))
	}
	return leeway
}
