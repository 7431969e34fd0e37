package redirect

import "testing"

func TestSafeRedirectRefusesOtherOrigins(t *testing.T) {
	allow := []string{"https://login.example.com"}
	cases := []struct {
		target string
		want   bool
	}{
		{"/not-an-admin", true},
		{"/a/b?c=d#e", true},
		// Refused although browsers keep %2F encoded: a decoding proxy in
		// front could turn it into "//path".
		{"/%2Fpath", false},
		{"https://login.example.com/x", true},
		{"HTTPS://LOGIN.EXAMPLE.COM/x", true},
		{"", false},
		{"//evil.com", false},
		{"///evil.com", false},
		{"/\\evil.com", false},
		{"\\\\evil.com", false},
		{"/%2F%2Fevil.com", false},
		{"/%2f/evil.com", false},
		{"/%5Cevil.com", false},
		{"/%5cevil.com", false},
		{"\t//evil.com", false},
		{"/\t/evil.com", false},
		{"/\r\n/evil.com", false},
		{"https://evil.com", false},
		{"https://login.example.com.evil.com/", false},
		{"https://login.example.com@evil.com/", false},
		{"https://user@login.example.com/", false},
		{"http://login.example.com/", false},
		{"https:evil.com", false},
		{"javascript:alert(1)", false},
		{"data:text/html,x", false},
		{"evil.com", false},
		{"/%zz", false},
	}
	for _, tc := range cases {
		if got := Safe(tc.target, allow); got != tc.want {
			t.Errorf("Safe(%q) = %v, want %v", tc.target, got, tc.want)
		}
	}
}

func TestCheckOriginRefusesEntriesThatCanNeverMatch(t *testing.T) {
	for _, ok := range []string{"https://login.example.com", "http://127.0.0.1:8080", "https://a.example/"} {
		if err := CheckOrigin(ok); err != nil {
			t.Errorf("CheckOrigin(%q) = %v, want nil", ok, err)
		}
	}
	for _, bad := range []string{"login.example.com", "https://a.example/path", "ftp://a.example", "https://user@a.example", "https://a.example?x=1", ""} {
		if CheckOrigin(bad) == nil {
			t.Errorf("CheckOrigin(%q) = nil, want an error", bad)
		}
	}
}
