package checkhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/authgate/authgate/internal/httpx"
	"github.com/authgate/authgate/policy"
)

// queryQuestions reads the questions of a GET: `permission=P` and
// `check=NAME`, each repeatable, in the order given; a question asked
// twice is asked once. Any other parameter, or none, is a bad request: a
// misspelt name must not read as a question that holds.
func (e *Endpoint) queryQuestions(r *http.Request) ([]policy.Question, *refusal) {
	bad := &refusal{http.StatusBadRequest, ReasonBadRequest}
	var qs []policy.Question
	for part := range strings.SplitSeq(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		key, raw, _ := strings.Cut(part, "=")
		value, err := url.QueryUnescape(raw)
		if err != nil {
			return nil, bad
		}
		var q policy.Question
		switch key {
		case "permission":
			q.Permission = value
		case "check":
			q.Check = value
		default:
			return nil, bad
		}
		if !slices.Contains(qs, q) {
			qs = append(qs, q)
		}
		if len(qs) > e.maxBatch {
			return nil, &refusal{http.StatusBadRequest, ReasonBatchTooLarge}
		}
	}
	if len(qs) == 0 {
		return nil, bad
	}
	return qs, nil
}

// item is one question of a POST batch.
type item struct {
	Permission *string `json:"permission"`
	Check      *string `json:"check"`
}

// bodyQuestions reads the questions of a POST: a JSON list of objects,
// each with exactly one of "permission" and "check", at most maxBatch of
// them, in a body of at most maxBody bytes of UTF-8 sent as
// application/json (a type an HTML form cannot send).
func (e *Endpoint) bodyQuestions(r *http.Request) ([]policy.Question, *refusal) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return nil, &refusal{http.StatusUnsupportedMediaType, ReasonUnsupportedMedia}
	}
	data, err := httpx.ReadCapped(r.Body, int64(e.maxBody))
	if errors.Is(err, httpx.ErrTooLarge) {
		return nil, &refusal{http.StatusRequestEntityTooLarge, ReasonBodyTooLarge}
	}
	bad := &refusal{http.StatusBadRequest, ReasonBadRequest}
	// JSON is UTF-8; encoding/json would read a stray byte as U+FFFD and
	// ask about a permission the client never spelt.
	if err != nil || !utf8.Valid(data) {
		return nil, bad
	}
	var items []item
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if dec.Decode(&items) != nil || dec.Decode(new(any)) != io.EOF || len(items) == 0 {
		return nil, bad
	}
	if len(items) > e.maxBatch {
		return nil, &refusal{http.StatusBadRequest, ReasonBatchTooLarge}
	}
	qs := make([]policy.Question, len(items))
	for i, it := range items {
		if (it.Permission == nil) == (it.Check == nil) {
			return nil, bad
		}
		if it.Permission != nil {
			qs[i].Permission = *it.Permission
		} else {
			qs[i].Check = *it.Check
		}
	}
	return qs, nil
}
