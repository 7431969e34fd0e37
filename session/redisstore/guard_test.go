package redisstore

import (
	"testing"
	"time"
)

// The circuit opens after openAfter failures in a row, refuses calls for
// openFor, then lets exactly one probe through: its success closes the
// circuit, its failure opens it again.
func TestCircuitOpensProbesAndCloses(t *testing.T) {
	now := time.Unix(0, 0)
	c := &circuit{openAfter: 3, openFor: time.Second, now: func() time.Time { return now }}
	for i := range 3 {
		if !c.allow() {
			t.Fatalf("call %d refused while closed", i)
		}
		c.record(outcomeFailure)
	}
	if c.allow() {
		t.Fatal("open circuit let a call through")
	}
	now = now.Add(time.Second)
	if !c.allow() {
		t.Fatal("no probe after openFor")
	}
	if c.allow() {
		t.Fatal("a second call passed while the probe is in flight")
	}
	c.record(outcomeFailure)
	if c.allow() {
		t.Fatal("a failed probe did not reopen the circuit")
	}
	now = now.Add(time.Second)
	if !c.allow() {
		t.Fatal("no second probe")
	}
	c.record(outcomeUnknown) // the caller gave up: try another probe
	if !c.allow() {
		t.Fatal("no probe after an inconclusive one")
	}
	c.record(outcomeSuccess)
	for i := range 5 {
		if !c.allow() {
			t.Fatalf("call %d refused after a successful probe", i)
		}
	}
	c.record(outcomeFailure)
	c.record(outcomeSuccess)
	c.record(outcomeFailure)
	c.record(outcomeFailure)
	if !c.allow() {
		t.Fatal("failures that were not consecutive opened the circuit")
	}
}
