package checkhttp

import (
	"encoding/json"
	"net/http"

	"github.com/authgate/authgate/policy"
)

// Checker is the checker that answers the endpoint's questions, for
// explanations (policy.Checker.Explain).
func (e *Endpoint) Checker() *policy.Checker { return e.checker }

// QueryQuestions reads the questions of a GET check request as Serve
// does. A request Serve would refuse before asking anything gets ok false
// with the status, reason code and body of that refusal.
func (e *Endpoint) QueryQuestions(r *http.Request) (qs []policy.Question, ok bool, status int, reason, body string) {
	qs, f := e.queryQuestions(r)
	if f != nil {
		return nil, false, f.status, f.reason, f.body()
	}
	return qs, true, 0, "", ""
}

// QuestionRefusal is the status, reason code and body Serve answers for
// err, an error of policy.Checker.Check or Explain for a question it
// cannot ask; ok is false for any other error.
func QuestionRefusal(err error) (status int, reason, body string, ok bool) {
	reason = questionReason(err)
	if reason == "" {
		return 0, "", "", false
	}
	f := refusal{http.StatusBadRequest, reason}
	return f.status, f.reason, f.body(), true
}

// AnswerBody is the 200 body Serve answers for answers (one Denial per
// question, nil when it holds): the combined answer of a GET, or with
// batch the list a POST gets.
func AnswerBody(answers []*policy.Denial, batch bool) ([]byte, error) {
	if batch {
		return json.Marshal(batchOf(answers))
	}
	return json.Marshal(combined(answers))
}
