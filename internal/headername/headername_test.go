package headername

import "testing"

// TestFoldingCoversEveryFrameworkSpelling: the spellings CGI, WSGI and PHP
// fold into one variable all fold to the same name, so stripping one
// strips them all.
func TestFoldingCoversEveryFrameworkSpelling(t *testing.T) {
	for _, name := range []string{"X-Auth-User-Id", "X_Auth_User_Id", "x-auth-user-id", "X.Auth.User.Id", "X_AUTH.USER-ID"} {
		if got := Fold(name); got != "x-auth-user-id" {
			t.Errorf("Fold(%q) = %q, want x-auth-user-id", name, got)
		}
		if !HasPrefix(name, "x-auth-") {
			t.Errorf("%q does not fold to the X-Auth- prefix", name)
		}
	}
	if HasPrefix("X-Authx", "x-auth-") {
		t.Error("X-Authx folds to the X-Auth- prefix")
	}
}
