package httpx

import (
	"errors"
	"fmt"
	"io"
)

// ErrTooLarge matches (with errors.Is) the error ReadCapped returns for a
// body over its cap.
var ErrTooLarge = errors.New("body over the size cap")

// drainBytes is how much of an unread body DrainClose reads before closing,
// so that a short leftover does not cost the connection.
const drainBytes = 4 << 10

// tooLargeError says how large a body may be, without any of its content.
type tooLargeError struct{ maxBytes int64 }

func (e tooLargeError) Error() string        { return fmt.Sprintf("larger than %d bytes", e.maxBytes) }
func (e tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// ReadCapped reads r to its end and returns what it held, or an error
// matching ErrTooLarge when that is more than maxBytes. It never reads more
// than one byte past the cap, so a hostile body costs at most maxBytes+1
// bytes of memory. Read errors are returned as they are.
func ReadCapped(r io.Reader, maxBytes int64) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > maxBytes {
		return nil, tooLargeError{maxBytes}
	}
	return body, nil
}

// DrainClose reads at most a few KiB of what is left of body, so that the
// connection can be reused, then closes it. A hostile body is never read to
// its end.
func DrainClose(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, drainBytes)
	_ = body.Close()
}
