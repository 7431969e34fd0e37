package oidclogin

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

// recordLog keeps the messages logged to it.
type recordLog struct{ msgs []string }

func (l *recordLog) Debug(msg string, _ ...any) { l.msgs = append(l.msgs, msg) }
func (l *recordLog) Info(msg string, _ ...any)  { l.msgs = append(l.msgs, msg) }
func (l *recordLog) Warn(msg string, _ ...any)  { l.msgs = append(l.msgs, msg) }
func (l *recordLog) Error(msg string, _ ...any) { l.msgs = append(l.msgs, msg) }

// Lines about a request go to RequestLog, where the server logs its other
// lines about requests; without one, to Log.
func TestRequestLinesGoToTheRequestLog(t *testing.T) {
	codec, err := NewCodec(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	refuse := func(deps Deps) {
		deps.Requests, deps.Codec = &fakeRequests{}, codec
		s := NewSet(Options{EndpointPrefix: "/.authgate/"}, deps)
		s.ServeLogin(httptest.NewRecorder(), httptest.NewRequest("GET", "https://app.example/.authgate/login?provider=other", nil), nil)
	}
	app, requests := &recordLog{}, &recordLog{}
	refuse(Deps{Log: app, RequestLog: requests})
	if len(app.msgs) != 0 || len(requests.msgs) != 1 || requests.msgs[0] != "authgate denied request" {
		t.Fatalf("app log %q, request log %q: want the refusal in the request log only", app.msgs, requests.msgs)
	}
	only := &recordLog{}
	refuse(Deps{Log: only})
	if len(only.msgs) != 1 {
		t.Fatalf("without a request log, Log got %q", only.msgs)
	}
}
