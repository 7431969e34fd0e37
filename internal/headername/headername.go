// Package headername folds HTTP header names the way application stacks
// read them, so that every spelling of a protected name can be found.
//
// CGI, WSGI and PHP fold header names into one variable: X_Auth_User and
// X.Auth.User reach such apps as X-Auth-User. A gateway that strips or
// refuses a name must therefore match all its spellings. This package is a
// leaf: it imports only the standard library.
package headername

// foldByte lowercases c and maps '_' and '.' to '-', the way CGI, WSGI and
// PHP fold header names into one variable: X_Auth_User reaches such apps as
// X-Auth-User, and PHP also turns the dots of X.Auth.User (HTTP_X.AUTH.USER
// behind FastCGI) into underscores, so every spelling must be stripped.
func foldByte(c byte) byte {
	switch {
	case c == '_', c == '.':
		return '-'
	case 'A' <= c && c <= 'Z':
		return c + ('a' - 'A')
	}
	return c
}

// HasPrefix reports whether name, folded, starts with folded, a prefix
// already folded (see Fold). It does not allocate: it runs for every
// inbound header.
func HasPrefix(name, folded string) bool {
	if len(name) < len(folded) {
		return false
	}
	for i := 0; i < len(folded); i++ {
		if foldByte(name[i]) != folded[i] {
			return false
		}
	}
	return true
}

// Fold returns name lowercased with '_' and '.' turned into '-'.
func Fold(name string) string {
	b := []byte(name)
	for i := range b {
		b[i] = foldByte(b[i])
	}
	return string(b)
}

// Equal reports whether name and want fold to the same name.
func Equal(name, want string) bool {
	return len(name) == len(want) && HasPrefix(name, Fold(want))
}
