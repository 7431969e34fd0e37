package authgatecli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// defaultAdminTimeout bounds one admin API call, its answer included.
// Caddy's helper sets no deadline, and a probe or a script must not hang on
// an admin endpoint that accepts connections and never answers (a stuck
// process, or something else listening on the port).
const defaultAdminTimeout = 10 * time.Second

// maxErrorText is how much of an error answer an error quotes: Caddy's
// helper copies up to 2 MiB of it.
const maxErrorText = 4 << 10

// adminRequest sends one request to the admin endpoint at addr through
// Caddy's helper and reads at most limit bytes of the answer, all within
// timeout. The Origin header the helper adds is dropped (a nil value): the
// admin endpoint refuses it unless origins are configured, and the
// authgate admin API refuses every call that carries one. A status of 400
// or more is an error quoting the server's message, cut to maxErrorText
// and stripped of control characters, so an answer cannot flood or drive
// the terminal.
func adminRequest(addr, method, uri string, body io.Reader, limit int64, timeout time.Duration) ([]byte, error) {
	if timeout <= 0 {
		return nil, errors.New("--timeout must be positive")
	}
	type result struct {
		data []byte
		err  error
	}
	// The helper takes no context: the call runs aside and is abandoned at
	// the deadline (the command exits right after).
	done := make(chan result, 1)
	go func() {
		resp, err := caddycmd.AdminAPIRequest(addr, method, uri, http.Header{"Origin": nil}, body)
		if err != nil {
			done <- result{err: cleanError(err)}
			return
		}
		defer resp.Body.Close()
		data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err == nil && int64(len(data)) > limit {
			err = fmt.Errorf("the admin endpoint's answer is over %d bytes", limit)
		}
		done <- result{data, err}
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		return r.data, r.err
	case <-timer.C:
		return nil, fmt.Errorf("the admin endpoint %s did not answer within %s (see --timeout)", addr, timeout)
	}
}

// cleanError returns err's text cut to maxErrorText, with control
// characters and invalid UTF-8 replaced.
func cleanError(err error) error {
	msg := strings.TrimSpace(err.Error())
	more := ""
	if len(msg) > maxErrorText {
		more = fmt.Sprintf("… (%d bytes more)", len(msg)-maxErrorText)
		msg = msg[:maxErrorText]
	}
	msg = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return unicode.ReplacementChar
		}
		return r
	}, strings.ToValidUTF8(msg, string(unicode.ReplacementChar)))
	return fmt.Errorf("%s%s", msg, more)
}
