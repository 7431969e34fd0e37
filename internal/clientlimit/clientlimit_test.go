package clientlimit

import (
	"fmt"
	"testing"
	"time"
)

func TestKeyCountsIPv6Per64AndIPv4PerAddress(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"not an ip", ""},
		{"", ""},
	} {
		if got := Key(tc.in); got != tc.want {
			t.Errorf("Key(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestTakeSpendsTheBurstThenRefillsAtTheRate(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	tb := New(2, 3, 0, c.now)
	for i := range 3 {
		if ok, _ := tb.Take("a"); !ok {
			t.Fatalf("take %d refused within the burst", i)
		}
	}
	ok, wait := tb.Take("a")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("take past the burst = %v, wait %v; want refused, wait ≤ 500ms", ok, wait)
	}
	if ok, _ := tb.Take("b"); !ok {
		t.Fatal("another client shares the first one's budget")
	}
	c.t = c.t.Add(500 * time.Millisecond)
	if ok, _ := tb.Take("a"); !ok {
		t.Fatal("no unit back after 1/rate")
	}
	tb.Refund("a")
	if ok, _ := tb.Take("a"); !ok {
		t.Fatal("a refunded unit cannot be spent")
	}
}

func TestTableStaysBounded(t *testing.T) {
	tb := New(1, 2, 100, nil)
	for i := range 1000 {
		tb.Take(fmt.Sprint("client-", i))
		if tb.Len() > 100 {
			t.Fatalf("table holds %d clients, bound 100", tb.Len())
		}
	}
}

func TestFullTableForgetsRefilledClientsFirst(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	tb := New(1, 2, 100, c.now)
	tb.Take("busy")
	tb.Take("busy")
	for i := range 98 {
		tb.Take(fmt.Sprint("idle-", i))
	}
	// After 1.5 s every idle client has refilled; the busy one has not.
	c.t = c.t.Add(1500 * time.Millisecond)
	tb.Take("newcomer-1")
	tb.Take("newcomer-2")
	if tb.Len() != 3 {
		t.Fatalf("table holds %d clients, want busy and the two newcomers", tb.Len())
	}
	if ok, _ := tb.Take("busy"); !ok {
		t.Fatal("busy client lost its refill")
	}
	if ok, _ := tb.Take("busy"); ok {
		t.Fatal("a client that had not refilled was forgotten, resetting its budget")
	}
}

func TestNetworkIsTheSlash48OfAnIPv6Client(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{Key("2001:db8:1:2:3:4:5:6"), "2001:db8:1::/48"},
		{Key("2001:db8:1:ffff::1"), "2001:db8:1::/48"},
		{Key("192.0.2.7"), ""},
		{"", ""},
	} {
		if got := Network(tc.in); got != tc.want {
			t.Errorf("Network(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWaitSpendsNothing(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	tb := New(1, 2, 0, c.now)
	for range 5 {
		if wait := tb.Wait("a"); wait != 0 {
			t.Fatalf("Wait with a full budget = %v, want 0", wait)
		}
	}
	tb.Take("a")
	tb.Take("a")
	if wait := tb.Wait("a"); wait <= 0 || wait > time.Second {
		t.Fatalf("Wait with an empty budget = %v, want (0, 1s]", wait)
	}
	c.t = c.t.Add(time.Second)
	if wait := tb.Wait("a"); wait != 0 {
		t.Fatalf("Wait after a refill = %v, want 0", wait)
	}
}

func TestTakeNSpendsAllOrNothing(t *testing.T) {
	c := &clock{t: time.Unix(1000, 0)}
	tb := New(2, 5, 0, c.now)
	if ok, _ := tb.TakeN("a", 3); !ok {
		t.Fatal("3 of a burst of 5 refused")
	}
	ok, wait := tb.TakeN("a", 3)
	if ok || wait != 500*time.Millisecond {
		t.Fatalf("3 more with 2 left = %v, wait %v; want refused, wait 500ms for the third", ok, wait)
	}
	if ok, _ := tb.TakeN("a", 2); !ok {
		t.Fatal("a refused TakeN spent units: the 2 left cannot be taken")
	}
	if ok, wait := tb.TakeN("a", 9); ok || wait != 2500*time.Millisecond {
		t.Fatalf("more than the burst = %v, wait %v; want refused, wait for the whole burst", ok, wait)
	}
}
