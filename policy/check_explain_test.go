package policy

import (
	"context"
	"errors"
	"testing"
)

// Explain answers as Check does, question by question, and shows what
// each validator saw.
func TestCheckerExplainAnswersAsCheck(t *testing.T) {
	c := newTestChecker(t, Options{})
	qs := []Question{{Check: "admin_area"}, {Permission: "blog:write"}, {Check: "writer"}}
	for _, claims := range []string{
		`{"tenant":"a","roles":["admin"],"mfa":true}`,
		`{"tenant":"a","roles":["editor"],"mfa":false}`,
		`{"roles":["admin"],"mfa":true}`, // the global validator refuses
	} {
		want := check(t, c, claims, qs...)
		x, err := c.Explain(context.Background(), identity(t, claims), qs, false)
		if err != nil {
			t.Fatal(err)
		}
		for i, q := range x.Questions {
			if got := body(t, q.Answer); got != want[i] || q.Undetermined {
				t.Errorf("%s %+v: explained %q, Check answers %q", claims, q.Question, got, want[i])
			}
			if x.Global == nil || len(x.Global.Validators) != 1 {
				t.Fatalf("global %+v", x.Global)
			}
			if globalRefuses := x.Global.Denial != nil; globalRefuses != (q.Explanation == nil) {
				t.Errorf("%s: the question's own validators ran although the global ones refuse, or not although they pass", claims)
			}
		}
	}
	if _, err := c.Explain(context.Background(), identity(t, `{}`), []Question{{Check: "nope"}}, false); !errors.Is(err, ErrUnknownCheck) {
		t.Errorf("unknown check: %v", err)
	}
}
