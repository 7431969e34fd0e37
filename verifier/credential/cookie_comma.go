package credential

import "strings"

// pairNames calls yield with the name of a cookie-pair (one ";"-separated
// part of a Cookie line) and with the name of every ","-separated piece
// after it, and of every "name=" after a space or tab inside a piece.
// RFC 6265 allows no "," or whitespace in a cookie value, and parsers in
// the RFC 2965 tradition (Python's SimpleCookie, used by aiohttp and
// Bottle) start a new pair there: to them "theme=x, s=B" and "theme=x s=B"
// also set s. Such a hidden pair is a copy of s for counting, and is never
// forwarded when s must not be.
func pairNames(part string, yield func(name string) bool) {
	for piece := range strings.SplitSeq(part, ",") {
		piece = strings.TrimSpace(piece)
		name, _, _ := strings.Cut(piece, "=")
		if !yield(strings.TrimSpace(name)) {
			return
		}
		if !spacedNames(piece, yield) {
			return
		}
	}
}

// spacedNames calls yield with every name written as "name=" (spaces or
// tabs allowed before the "=") after a space or tab in piece, and reports
// whether yield asked for more.
func spacedNames(piece string, yield func(name string) bool) bool {
	for i := 0; i < len(piece); i++ {
		if !isSpaceOrTab(piece[i]) {
			continue
		}
		j := i + 1
		for j < len(piece) && isSpaceOrTab(piece[j]) {
			j++
		}
		k := j
		for k < len(piece) && piece[k] != '=' && !isSpaceOrTab(piece[k]) {
			k++
		}
		e := k
		for e < len(piece) && isSpaceOrTab(piece[e]) {
			e++
		}
		if k > j && e < len(piece) && piece[e] == '=' && !yield(piece[j:k]) {
			return false
		}
		i = k - 1
	}
	return true
}

func isSpaceOrTab(c byte) bool { return c == ' ' || c == '\t' }

// pairNamed reports whether part holds a pair named by match, itself or
// hidden after a "," or whitespace.
func pairNamed(part string, match func(name string) bool) bool {
	found := false
	pairNames(part, func(name string) bool {
		found = match(name)
		return !found
	})
	return found
}

// sameCookieName reports whether a cookie sent as got reaches an app as
// the cookie want. Names are case-sensitive in RFC 6265, but ASP.NET reads
// cookies case-insensitively (Request.Cookies["id_token"] is "ID_TOKEN=…"),
// and PHP turns " " and "." in a cookie name into "_" ($_COOKIE["app_session"]
// is set by "app.session=…"), so those spellings count as want too, as
// X_Auth_User_Id counts as X-Auth-User-Id among headers.
func sameCookieName(got, want string) bool {
	if got == want {
		return true
	}
	if len(got) != len(want) {
		return false
	}
	for i := 0; i < len(got); i++ {
		if foldCookieByte(got[i]) != foldCookieByte(want[i]) {
			return false
		}
	}
	return true
}

// foldCookieByte maps c to the byte an app compares it as: ASCII letters
// to lower case, and " " and "." to "_" (PHP).
func foldCookieByte(c byte) byte {
	switch {
	case c == ' ' || c == '.':
		return '_'
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	}
	return c
}
