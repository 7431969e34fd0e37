package checkhttp

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/authgate/authgate/internal/clientlimit"
	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// Defaults of Config.
const (
	// DefaultMaxBatch is the most questions one request may ask.
	DefaultMaxBatch = 20
	// DefaultMaxBodyBytes caps a POST body.
	DefaultMaxBodyBytes = 16 << 10
)

// Reason codes of the endpoint's own refusals. They name what was wrong,
// never the value sent.
const (
	ReasonBadRequest       = "bad_request"            // not a list of questions
	ReasonUnknownCheck     = "unknown_check"          // a check that is not declared
	ReasonBadPermission    = "bad_permission"         // a permission that cannot be one
	ReasonBatchTooLarge    = "batch_too_large"        // more questions than MaxBatch
	ReasonBodyTooLarge     = "body_too_large"         // a POST body over MaxBodyBytes
	ReasonUnsupportedMedia = "unsupported_media_type" // a POST that is not JSON
	ReasonMethodNotAllowed = "method_not_allowed"
)

// Route is the gateway route a check request came in on: it authenticates
// the caller and answers failures as the route does.
type Route interface {
	// Authenticate verifies the credential r carries, as the route would.
	Authenticate(r *http.Request) (*verifier.Identity, error)
	// Respond answers r with the failure err (a missing or refused
	// credential, an unavailable dependency) as the route answers its own
	// requests, except that it never sends a browser to log in: the
	// endpoint is for scripts.
	Respond(w http.ResponseWriter, r *http.Request, err error) error
	// Refuse answers r with status and body, a fixed JSON text; reason is
	// the refusal's reason code. The answer is never cached.
	Refuse(w http.ResponseWriter, r *http.Request, status int, reason, body string) error
}

// Config configures the endpoint.
type Config struct {
	// Global is the global policy: its validators run first, once per
	// request. nil: none.
	Global *policy.Policy
	// Checks are the named checks, each compiled with Options.
	Checks map[string]*policy.Policy
	// Options are the options every policy was compiled with; permission
	// questions use their roles and refresher.
	Options policy.Options
	// Events and Window are each subject's budget: Events questions per
	// Window, any of them at once; a batch spends one per question.
	// Required.
	Events int
	Window time.Duration
	// MaxBatch is the most questions one request may ask; it is never more
	// than Events. Default: DefaultMaxBatch.
	MaxBatch int
	// MaxBodyBytes caps a POST body. Default: DefaultMaxBodyBytes.
	MaxBodyBytes int
	// Now is the budget's clock. Default: time.Now.
	Now func() time.Time
}

// Endpoint serves the check endpoint. Build it with New.
type Endpoint struct {
	checker  *policy.Checker
	budget   *clientlimit.Table
	maxBatch int
	maxBody  int
}

// New checks cfg and returns the endpoint it configures.
func New(cfg Config) (*Endpoint, error) {
	if cfg.Events < 1 || cfg.Window <= 0 {
		return nil, errors.New("checkhttp: the budget needs a positive count and window")
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	checker, err := policy.NewChecker(cfg.Global, cfg.Checks, cfg.Options)
	if err != nil {
		return nil, err
	}
	rate := float64(cfg.Events) / cfg.Window.Seconds()
	return &Endpoint{
		checker:  checker,
		budget:   clientlimit.New(rate, cfg.Events, 0, cfg.Now),
		maxBatch: min(cfg.MaxBatch, cfg.Events),
		maxBody:  cfg.MaxBodyBytes,
	}, nil
}

// Serve answers a check request: GET asks the questions of the query
// string, all of which must hold; POST asks a batch. The request is
// parsed first (400, 413, 415 need no credential and say nothing about
// the configuration), then the caller is authenticated as the route
// would, spends one unit of its budget per question (429 when spent), and
// only then are the questions resolved: an undeclared check or a
// malformed permission is 400 without naming it.
func (e *Endpoint) Serve(w http.ResponseWriter, r *http.Request, rt Route) error {
	var (
		qs    []policy.Question
		batch = r.Method == http.MethodPost
		err   *refusal
	)
	switch r.Method {
	case http.MethodGet:
		qs, err = e.queryQuestions(r)
	case http.MethodPost:
		qs, err = e.bodyQuestions(r)
	default:
		w.Header().Set("Allow", "GET, POST")
		err = &refusal{http.StatusMethodNotAllowed, ReasonMethodNotAllowed}
	}
	if err != nil {
		return err.write(w, r, rt)
	}
	id, authErr := rt.Authenticate(r)
	if authErr != nil {
		return rt.Respond(w, r, authErr)
	}
	if ok, wait := e.budget.TakeN(id.Subject, len(qs)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int((max(wait, time.Second)+time.Second-1)/time.Second)))
		return rt.Refuse(w, r, http.StatusTooManyRequests, string(verifier.ReasonRateLimited),
			`{"error":"rate_limited","reason":"`+string(verifier.ReasonRateLimited)+`"}`)
	}
	answers, checkErr := e.checker.Check(r.Context(), id, qs)
	if reason := questionReason(checkErr); reason != "" {
		return (&refusal{http.StatusBadRequest, reason}).write(w, r, rt)
	}
	if checkErr != nil {
		return rt.Respond(w, r, checkErr)
	}
	if batch {
		return writeAnswer(w, batchOf(answers))
	}
	return writeAnswer(w, combined(answers))
}

// questionReason is the reason code for a question the checker could not
// ask, or "" for any other outcome.
func questionReason(err error) string {
	switch {
	case errors.Is(err, policy.ErrUnknownCheck):
		return ReasonUnknownCheck
	case errors.Is(err, policy.ErrBadPermission):
		return ReasonBadPermission
	case errors.Is(err, policy.ErrBadQuestion):
		return ReasonBadRequest
	}
	return ""
}

// refusal is a refused request: its status and reason code.
type refusal struct {
	status int
	reason string
}

func (f *refusal) write(w http.ResponseWriter, r *http.Request, rt Route) error {
	return rt.Refuse(w, r, f.status, f.reason, f.body())
}

// body is the refusal's JSON body.
func (f *refusal) body() string {
	kind := "bad_request"
	switch f.status {
	case http.StatusMethodNotAllowed:
		kind = "method_not_allowed"
	case http.StatusUnsupportedMediaType:
		kind = "unsupported_media_type"
	case http.StatusRequestEntityTooLarge:
		kind = "too_large"
	}
	return `{"error":"` + kind + `","reason":"` + f.reason + `"}`
}
