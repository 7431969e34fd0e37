// Package logthrottle bounds how often a repeated log line is written.
//
// A flood of bad requests, or a dependency that is down under load, would
// otherwise write one line per request: tens of thousands a second, which
// fills disks and buries everything else. A Limiter lets a few lines of
// each kind through per interval and counts the rest, so the next line that
// passes can say how many were dropped.
package logthrottle

import (
	"sync"
	"time"
)

// maxKinds bounds the kinds a Limiter tracks; kinds are meant to be a
// small fixed set (reason codes), this only guards against misuse.
const maxKinds = 1024

// Limiter lets at most Burst lines of each kind through per Interval. It
// is safe for concurrent use. Build one with New.
type Limiter struct {
	interval time.Duration
	burst    int
	now      func() time.Time

	mu    sync.Mutex
	kinds map[string]*window
}

type window struct {
	start      time.Time
	written    int
	suppressed int
}

// New returns a Limiter writing at most burst lines of a kind per interval.
// now is the clock; nil means time.Now.
func New(interval time.Duration, burst int, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{interval: interval, burst: max(burst, 1), now: now, kinds: map[string]*window{}}
}

// Allow reports whether a line of kind may be written now, and, if so,
// how many lines of that kind were suppressed since the last one written.
// A nil Limiter lets every line through.
func (l *Limiter) Allow(kind string) (bool, int) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	w := l.kinds[kind]
	if w == nil {
		if len(l.kinds) >= maxKinds {
			clear(l.kinds)
		}
		w = &window{start: now}
		l.kinds[kind] = w
	}
	if now.Sub(w.start) >= l.interval {
		w.start, w.written = now, 0
	}
	if w.written >= l.burst {
		w.suppressed++
		return false, 0
	}
	w.written++
	dropped := w.suppressed
	w.suppressed = 0
	return true, dropped
}
