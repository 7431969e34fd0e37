package policy

import (
	"context"

	"github.com/authgate/authgate/verifier"
)

// CheckExplanation is how a Checker would answer questions, as Explain
// found it: the global validators once, then each question.
type CheckExplanation struct {
	// Global explains the global validators (nil: none). When its Denial
	// is set, it answers every question and their own validators are not
	// run, as in Check.
	Global *Explanation
	// Questions explain each question, in order.
	Questions []QuestionExplanation
}

// QuestionExplanation is one question and how it would be answered.
type QuestionExplanation struct {
	Question Question
	// Explanation explains the question's own validators; nil when the
	// global validators refused.
	Explanation *Explanation
	// Answer is the Denial Check would answer (nil: the question holds).
	Answer *Denial
	// Undetermined is true when the answer depends on a claim that would
	// be fetched first (global validators included).
	Undetermined bool
}

// Explain answers qs about id as Check would, recording what every
// validator saw, and changes nothing (see Policy.Explain: without fetch,
// no claim source is called). A question Check cannot ask fails the call
// with Check's error.
func (c *Checker) Explain(ctx context.Context, id *verifier.Identity, qs []Question, fetch bool) (*CheckExplanation, error) {
	ps := make([]*Policy, len(qs))
	for i, q := range qs {
		p, err := c.resolve(q)
		if err != nil {
			return nil, err
		}
		ps[i] = p
	}
	out := &CheckExplanation{Questions: make([]QuestionExplanation, len(qs))}
	if c.global.Len() > 0 {
		gx, err := c.global.Explain(ctx, id, fetch)
		if err != nil {
			return nil, err
		}
		out.Global, id = gx, gx.Identity
	}
	for i, p := range ps {
		qx := QuestionExplanation{Question: qs[i]}
		if g := out.Global; g != nil {
			qx.Answer, qx.Undetermined = g.Denial, g.Undetermined
		}
		if qx.Answer == nil {
			x, err := p.Explain(ctx, id, fetch)
			if err != nil {
				return nil, err
			}
			qx.Explanation, qx.Answer = x, x.Denial
			qx.Undetermined = qx.Undetermined || x.Undetermined
		}
		out.Questions[i] = qx
	}
	return out, nil
}
