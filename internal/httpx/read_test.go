package httpx

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadCapped(t *testing.T) {
	boom := errors.New("boom")
	tests := []struct {
		name    string
		r       io.Reader
		want    string
		wantErr error
	}{
		{"a body under the cap is read whole", strings.NewReader("abc"), "abc", nil},
		{"a body of exactly the cap is read whole", strings.NewReader("abcd"), "abcd", nil},
		{"a body one byte over the cap is refused", strings.NewReader("abcde"), "", ErrTooLarge},
		{"a read error is returned as it is", iotest.ErrReader(boom), "", boom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadCapped(tc.r, 4)
			if !errors.Is(err, tc.wantErr) || string(got) != tc.want {
				t.Fatalf("ReadCapped = %q, %v; want %q, %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}

func TestReadCappedNamesTheCapOnly(t *testing.T) {
	_, err := ReadCapped(strings.NewReader("secret-token-value"), 3)
	if err == nil || err.Error() != "larger than 3 bytes" {
		t.Fatalf("error = %v, want \"larger than 3 bytes\"", err)
	}
}

func TestReadCappedReadsOneBytePastTheCap(t *testing.T) {
	r := strings.NewReader(strings.Repeat("a", 100))
	_, _ = ReadCapped(r, 10)
	if left := r.Len(); left != 89 {
		t.Fatalf("%d bytes left unread, want 89", left)
	}
}

type closeRecorder struct {
	*strings.Reader
	closed bool
}

func (c *closeRecorder) Close() error { c.closed = true; return nil }

func TestDrainCloseReadsABoundedAmount(t *testing.T) {
	body := &closeRecorder{Reader: strings.NewReader(strings.Repeat("a", 3*drainBytes))}
	DrainClose(body)
	if !body.closed || body.Len() != 2*drainBytes {
		t.Fatalf("closed=%v, %d left; want closed with %d left", body.closed, body.Len(), 2*drainBytes)
	}
}
