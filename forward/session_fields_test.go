package forward

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// fakeSession is a SessionFacts with fixed values.
type fakeSession struct {
	times  verifier.SessionTimes
	origin string
	amr    []string
}

func (f fakeSession) Times() verifier.SessionTimes { return f.times }
func (f fakeSession) Origin() string               { return f.origin }
func (f fakeSession) AppendAMR(dst []string) []string {
	return append(dst, f.amr...)
}

func TestApplyRendersSessionFields(t *testing.T) {
	started := time.Date(2030, 1, 2, 3, 4, 5, 600e6, time.FixedZone("x", 3600))
	id := &verifier.Identity{Subject: "alice", SessionID: "ses_1", Session: fakeSession{
		times: verifier.SessionTimes{
			Started: started, LastAccessed: started.Add(time.Minute),
			IdleExpires: started.Add(31 * time.Minute), Expires: started.Add(24 * time.Hour),
		},
		origin: "corp",
		amr:    []string{"pwd", "o,tp", "x\r\nInjected: 1"},
	}}
	cases := []struct{ tpl, want string }{
		{"{session.started_at}", "2030-01-02T02:04:05Z"},
		{"{session.created_at}", "2030-01-02T02:04:05Z"},
		{"{session.last_accessed_at}", "2030-01-02T02:05:05Z"},
		{"{session.last_seen_at}", "2030-01-02T02:05:05Z"},
		{"{session.idle_expires_at}", "2030-01-02T02:35:05Z"},
		{"{session.expires_at}", "2030-01-03T02:04:05Z"},
		{"{session.verifier}", "corp"},
		{"{session.amr}", "pwd,o%2Ctp,x%0D%0AInjected: 1"},
		{"{session.id}@{session.verifier}", "ses_1@corp"},
	}
	for _, tc := range cases {
		t.Run(tc.tpl, func(t *testing.T) {
			h := http.Header{}
			Apply(h, mustHeaders(t, []Spec{{Name: "X-S", Value: tc.tpl}}), id, "")
			if got := h.Get("X-S"); got != tc.want {
				t.Fatalf("%s = %q, want %q", tc.tpl, got, tc.want)
			}
		})
	}
	// A token's identity has no session: the header is not set.
	h := http.Header{}
	Apply(h, mustHeaders(t, []Spec{{Name: "X-S", Value: "{session.started_at}"}, {Name: "X-A", Value: "{session.amr}"}}), &verifier.Identity{Subject: "bob"}, "")
	if len(h) != 0 {
		t.Fatalf("headers for a non-session identity: %v", h)
	}
}

func TestCheckTemplateRefusesUnknownSessionFields(t *testing.T) {
	for _, tpl := range []string{"{session.started}", "{session.}", "{session.token}", "{session.amr.0}"} {
		err := CheckTemplate(tpl)
		if err == nil || !strings.Contains(err.Error(), "{session.started_at}") {
			t.Errorf("CheckTemplate(%q) = %v, want an error listing the session fields", tpl, err)
		}
	}
	for _, tpl := range []string{"{session.amr}", "assertion", "v1 {sub} {claims.email}"} {
		if err := CheckTemplate(tpl); err != nil {
			t.Errorf("CheckTemplate(%q) = %v", tpl, err)
		}
	}
}

// Sessions whose routes do not name session fields pay nothing for them.
func TestApplyWithoutSessionFieldsAllocatesNothingMore(t *testing.T) {
	id := &verifier.Identity{Subject: "alice", SessionID: "ses_1", Session: fakeSession{origin: "corp"}}
	plain := &verifier.Identity{Subject: "alice", SessionID: "ses_1"}
	m := mustHeaders(t, []Spec{{Name: "X-Auth-User-Id", Value: "{sub}"}, {Name: "X-Auth-Session-Id", Value: "{session.id}"}})
	h := http.Header{}
	measure := func(id *verifier.Identity) float64 {
		return testing.AllocsPerRun(100, func() { Apply(h, m, id, "") })
	}
	if with, without := measure(id), measure(plain); with != without {
		t.Fatalf("Apply allocates %v times for a session identity, %v without session facts", with, without)
	}
}
