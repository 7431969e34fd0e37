package firewall

import (
	"fmt"
	"strings"
)

// maxDecodeLayers bounds how many times the firewall decodes a path: an
// upstream behind more than that many decoding hops is not a setup anyone
// runs, and the bound keeps the check linear in the path's length.
const maxDecodeLayers = 4

// pathLayers returns raw and what each further percent-decoding of it
// yields, up to maxDecodeLayers decodings: "%253b" is "%3b" to an upstream
// that decodes twice (a chain of proxies, a framework that unescapes
// again), so each layer is checked as if it were the request line. In
// every layer an overlong UTF-8 form of an ASCII character (0xC0 0xAF for
// "/") is spelled as that character's escape ("%2F"), which old IIS and
// some Java decoders turn into the character itself.
func pathLayers(raw string) []string {
	layers := []string{overlongAsEscapes(raw)}
	for range maxDecodeLayers {
		next := overlongAsEscapes(lenientUnescape(layers[len(layers)-1]))
		if next == layers[len(layers)-1] {
			break
		}
		layers = append(layers, next)
	}
	return layers
}

// lenientUnescape decodes every valid %XX and keeps anything else as
// written: an invalid escape must not stop the decoding of the rest.
func lenientUnescape(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// overlongAsEscapes replaces each overlong UTF-8 encoding of an ASCII
// character (two, three or four bytes where one would do; never valid
// UTF-8) with that character's percent-escape.
func overlongAsEscapes(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if n, c, ok := overlongAt(s[i:]); ok {
			if b.Len() == 0 {
				b.WriteString(s[:i])
			}
			fmt.Fprintf(&b, "%%%02X", c)
			i += n - 1
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(s[i])
		}
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

// overlongAt reports whether s starts with an overlong encoding of an
// ASCII character, its length and the character.
func overlongAt(s string) (int, byte, bool) {
	cont := func(i int) bool { return i < len(s) && s[i]&0xC0 == 0x80 }
	bits := func(i int) int { return int(s[i] & 0x3F) }
	var n, c int
	switch {
	case len(s) >= 2 && (s[0] == 0xC0 || s[0] == 0xC1) && cont(1):
		n, c = 2, int(s[0]&0x1F)<<6|bits(1)
	case len(s) >= 3 && s[0] == 0xE0 && cont(1) && cont(2):
		n, c = 3, bits(1)<<6|bits(2)
	case len(s) >= 4 && s[0] == 0xF0 && s[1] == 0x80 && cont(2) && cont(3):
		n, c = 4, bits(2)<<6|bits(3)
	default:
		return 0, 0, false
	}
	return n, byte(c), c < 0x80
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
