package claimsource

import "time"

// Observer receives what a Refresher does, for metrics and logs. It is
// given configured claim names, the fixed codes below and durations only:
// never a subject, a URL or a value. Methods are called on the request
// path, possibly from many goroutines at once, and must be quick. A nil
// Observer reports nothing and costs nothing.
type Observer interface {
	// Fetched reports one call of claim's source, FetchOK or FetchFailed,
	// with how long it took, or one the refresher's limits turned away
	// before it was made (FetchThrottled, elapsed 0).
	Fetched(claim string, result FetchResult, elapsed time.Duration)
	// Served reports how one refresh of claim was answered.
	Served(claim string, how Serve)
	// WriteBackFailed reports a fetched value of claim that could not be
	// stored into the session it was fetched for.
	WriteBackFailed(claim string)
}

// FetchResult is the outcome of one fetch from a claim source.
type FetchResult string

// Fetch results.
const (
	FetchOK     FetchResult = "ok"
	FetchFailed FetchResult = "error"
	// FetchThrottled: no call was made; the subject had too many fetches
	// in flight, or no fetch slot came free in time.
	FetchThrottled FetchResult = "throttled"
)

// Serve says how a refresh was answered.
type Serve string

// How refreshes are answered.
const (
	// ServedCache: a cached value young enough.
	ServedCache Serve = "cache"
	// ServedFetch: a value fetched for this refresh, or by a fetch it
	// joined.
	ServedFetch Serve = "fetch"
	// ServedStale: the source failed and a value within stale_if_error
	// was used.
	ServedStale Serve = "stale"
	// ServedNone: the source failed and no value could be used; the
	// request fails closed.
	ServedNone Serve = "error"
)

// servedBy is how a refresh that fetched was answered: hit says the fetch
// it joined found the value cached.
func servedBy(hit bool) Serve {
	if hit {
		return ServedCache
	}
	return ServedFetch
}

func (r *Refresher) served(claim string, how Serve) {
	if r.obs != nil {
		r.obs.Served(claim, how)
	}
}

// began is the start of a call to report: the zero time, never read, when
// nothing is reported.
func (r *Refresher) began() time.Time {
	if r.obs == nil {
		return time.Time{}
	}
	return time.Now()
}

// fetched reports a call that began at start and ended with err.
func (r *Refresher) fetched(claim string, err error, start time.Time) {
	if r.obs == nil {
		return
	}
	result := FetchOK
	if err != nil {
		result = FetchFailed
	}
	r.obs.Fetched(claim, result, time.Since(start))
}

// throttled reports a call the limits turned away.
func (r *Refresher) throttled(claim string) {
	if r.obs != nil {
		r.obs.Fetched(claim, FetchThrottled, 0)
	}
}

func (r *Refresher) writeBackFailed(claim string) {
	if r.obs != nil {
		r.obs.WriteBackFailed(claim)
	}
}
