package verifier_test

import (
	"context"
	"errors"
	"testing"

	"github.com/authgate/authgate/verifier"
)

// fakeVerifier answers with a fixed identity or error and counts calls.
type fakeVerifier struct {
	id    *verifier.Identity
	err   error
	calls int
}

func (f *fakeVerifier) Verify(context.Context, verifier.Credential) (*verifier.Identity, error) {
	f.calls++
	return f.id, f.err
}

func TestChainStopsAtTheFirstResponsibleVerifier(t *testing.T) {
	notMine := verifier.Reject(verifier.ReasonMalformed, verifier.ErrNotResponsible)
	alice := &verifier.Identity{Subject: "alice"}
	cases := []struct {
		name       string
		chain      []*fakeVerifier
		wantSub    string
		wantReason verifier.Reason
		wantCalls  []int
	}{
		{"the first verifier that accepts wins", []*fakeVerifier{{err: notMine}, {id: alice}, {id: &verifier.Identity{Subject: "bob"}}}, "alice", "", []int{1, 1, 0}},
		{"a rejection by a responsible verifier ends the chain", []*fakeVerifier{{err: verifier.Reject(verifier.ReasonTokenExpired, nil)}, {id: alice}}, "", verifier.ReasonTokenExpired, []int{1, 0}},
		{"when nobody is responsible the first reason is returned", []*fakeVerifier{{err: notMine}, {err: verifier.Reject(verifier.ReasonBadIssuer, verifier.ErrNotResponsible)}}, "", verifier.ReasonMalformed, []int{1, 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var chain verifier.Chain
			for _, f := range tc.chain {
				chain = append(chain, f)
			}
			id, err := chain.Verify(context.Background(), verifier.Credential{Value: "x"})
			if tc.wantSub != "" && (err != nil || id.Subject != tc.wantSub) {
				t.Fatalf("got %v, %v; want subject %s", id, err, tc.wantSub)
			}
			if got := verifier.ReasonOf(err); got != tc.wantReason {
				t.Fatalf("reason = %q, want %q", got, tc.wantReason)
			}
			for i, f := range tc.chain {
				if f.calls != tc.wantCalls[i] {
					t.Errorf("verifier %d called %d times, want %d", i, f.calls, tc.wantCalls[i])
				}
			}
		})
	}
}

func TestEmptyChainIsNotResponsible(t *testing.T) {
	_, err := verifier.Chain{}.Verify(context.Background(), verifier.Credential{})
	if !errors.Is(err, verifier.ErrNotResponsible) {
		t.Fatalf("err = %v, want ErrNotResponsible", err)
	}
}
