package checkhttp

import (
	"encoding/json"
	"net/http"
	"slices"

	"github.com/authgate/authgate/policy"
)

// answer is the answer to one question, or to all the questions of a GET:
// {"allowed":true}, or {"allowed":false,"claimValidationErrors":[…]} with
// the failures of the 403 body the gateway would answer, encoded by
// package policy.
type answer struct {
	Allowed bool             `json:"allowed"`
	Errors  []policy.Failure `json:"claimValidationErrors,omitempty"`
}

// batchAnswer is the answer to a POST: one answer per question, in order.
type batchAnswer struct {
	Results []answer `json:"results"`
}

func answerOf(d *policy.Denial) answer {
	if d == nil {
		return answer{Allowed: true}
	}
	return answer{Errors: d.Failures}
}

// batchOf answers each question of a batch.
func batchOf(ds []*policy.Denial) batchAnswer {
	out := batchAnswer{Results: make([]answer, len(ds))}
	for i, d := range ds {
		out.Results[i] = answerOf(d)
	}
	return out
}

// combined answers the questions of a GET together: allowed when every one
// holds, else every failure, in order. A denial shared by several answers
// (the global validators') is reported once.
func combined(ds []*policy.Denial) answer {
	out := answer{Allowed: true}
	for i, d := range ds {
		if d == nil || slices.Contains(ds[:i], d) {
			continue
		}
		out.Allowed = false
		out.Errors = append(out.Errors, d.Failures...)
	}
	return out
}

// writeAnswer writes v as the 200 answer; like every answer of the
// gateway's own, it is never cached.
func writeAnswer(w http.ResponseWriter, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(body)
	return err
}
