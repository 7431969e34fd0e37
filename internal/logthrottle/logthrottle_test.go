package logthrottle

import (
	"testing"
	"time"
)

func TestAllowLetsABurstPerIntervalThroughAndCountsTheRest(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(time.Second, 2, func() time.Time { return now })
	var written int
	for range 100 {
		if ok, _ := l.Allow("a"); ok {
			written++
		}
	}
	if written != 2 {
		t.Fatalf("%d lines written in one interval, want 2", written)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another kind shares the first one's budget")
	}
	now = now.Add(time.Second)
	ok, dropped := l.Allow("a")
	if !ok || dropped != 98 {
		t.Fatalf("next interval: allowed %v, dropped %d; want true, 98", ok, dropped)
	}
	if _, dropped := l.Allow("a"); dropped != 0 {
		t.Fatalf("dropped count reported twice: %d", dropped)
	}
}
