package claims

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEmailDomain(t *testing.T) {
	tests := []struct {
		name, addr string
		want       string // "" when refused
	}{
		{"a plain address", "alice@corp.example", "corp.example"},
		{"an upper-case domain is lower-cased", "alice@CORP.Example", "corp.example"},
		{"the local part is kept out of the domain", "Alice.Smith+tag@corp.example", "corp.example"},
		{"a unicode domain becomes its A-label", "jörg@Bücher.example", "xn--bcher-kva.example"},
		{"an A-label stays", "jorg@XN--BCHER-KVA.example", "xn--bcher-kva.example"},
		{"full-width letters map to ASCII", "a@ｃｏｒｐ.example", "corp.example"},
		{"an ideographic full stop maps to a dot", "a@corp。example", "corp.example"},
		{"ß is kept (non-transitional)", "a@straße.example", "xn--strae-oqa.example"},
		{"a single-label domain", "root@localhost", "localhost"},
		{"two @ are refused", "a@b@corp.example", ""},
		{"a quoted local part with @ is refused", `"a@b"@corp.example`, ""},
		{"no @ is refused", "corp.example", ""},
		{"an empty local part is refused", "@corp.example", ""},
		{"an empty domain is refused", "alice@", ""},
		{"a trailing dot is refused", "alice@corp.example.", ""},
		{"a trailing ideographic full stop is refused", "alice@corp.example。", ""},
		{"a leading dot is refused", "alice@.corp.example", ""},
		{"an empty label is refused", "alice@corp..example", ""},
		{"a lone dot is refused", "alice@.", ""},
		{"a space is refused", "alice@corp example", ""},
		{"an underscore is refused", "alice@cor_p.example", ""},
		{"a NUL is refused", "alice@corp.example\x00", ""},
		{"a newline is refused", "alice@corp.example\nx", ""},
		{"an address literal is refused", "alice@[192.0.2.1]", ""},
		{"a bad A-label is refused", "alice@xn--zz.example", ""},
		{"a label starting with a hyphen is refused", "alice@-corp.example", ""},
		{"a label over 63 bytes is refused", "alice@" + strings.Repeat("a", 64) + ".example", ""},
		{"invalid UTF-8 is refused", "alice@corp\xff.example", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := EmailDomain(tc.addr)
			if got != tc.want || ok != (tc.want != "") {
				t.Errorf("EmailDomain(%q) = %q, %v; want %q", tc.addr, got, ok, tc.want)
			}
		})
	}
}

func TestDomainOperand(t *testing.T) {
	for _, tc := range []struct{ in, want, wantErr string }{
		{"corp.example", "corp.example", ""},
		{"Corp.EXAMPLE", "corp.example", ""},
		{"bücher.example", "xn--bcher-kva.example", ""},
		{"@corp.example", "", `without "@"`},
		{"*.corp.example", "", "the word subdomains"},
		{"corp.example.", "", "empty label"},
		{"", "", "bad domain"},
		{"a@corp.example", "", "bad domain"},
	} {
		got, err := DomainOperand(tc.in)
		if tc.wantErr == "" {
			if err != nil || got != tc.want {
				t.Errorf("DomainOperand(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			continue
		}
		if !errors.Is(err, ErrBadDomain) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("DomainOperand(%q) error = %v; want ErrBadDomain containing %q", tc.in, err, tc.wantErr)
		}
	}
}

func TestInDomain(t *testing.T) {
	for _, tc := range []struct {
		d, want    string
		subdomains bool
		in         bool
	}{
		{"corp.example", "corp.example", false, true},
		{"eu.corp.example", "corp.example", false, false},
		{"eu.corp.example", "corp.example", true, true},
		{"a.eu.corp.example", "corp.example", true, true},
		{"evilcorp.example", "corp.example", true, false},
		{"corp.example.evil", "corp.example", true, false},
	} {
		if got := InDomain(tc.d, tc.want, tc.subdomains); got != tc.in {
			t.Errorf("InDomain(%q, %q, %v) = %v, want %v", tc.d, tc.want, tc.subdomains, got, tc.in)
		}
	}
}

// FuzzEmailDomain checks that EmailDomain never panics and that every
// domain it accepts is canonical: ASCII, lower case, no empty label, no
// trailing dot, at most 253 bytes, a fixed point of NormalizeDomain, and the
// normal form of exactly what follows the address's only "@". Seeds live in
// testdata/fuzz/FuzzEmailDomain.
func FuzzEmailDomain(f *testing.F) {
	f.Add("alice@corp.example")
	f.Fuzz(func(t *testing.T, addr string) {
		d, ok := EmailDomain(addr)
		if !ok {
			if d != "" {
				t.Fatalf("EmailDomain(%q) refused but returned %q", addr, d)
			}
			return
		}
		local, rest, _ := strings.Cut(addr, "@")
		if strings.Count(addr, "@") != 1 || local == "" {
			t.Fatalf("EmailDomain(%q) accepted an address without exactly one @ after a local part", addr)
		}
		if len(d) == 0 || len(d) > 253 || strings.HasSuffix(d, ".") || strings.Contains(d, "..") ||
			strings.HasPrefix(d, ".") {
			t.Fatalf("EmailDomain(%q) = %q: not a DNS name", addr, d)
		}
		for i := range len(d) {
			if c := d[i]; c >= utf8.RuneSelf || c >= 'A' && c <= 'Z' {
				t.Fatalf("EmailDomain(%q) = %q: not lower-case ASCII", addr, d)
			}
		}
		if again, err := NormalizeDomain(d); err != nil || again != d {
			t.Fatalf("NormalizeDomain(%q) = %q, %v: not a fixed point", d, again, err)
		}
		if direct, err := NormalizeDomain(rest); err != nil || direct != d {
			t.Fatalf("NormalizeDomain(%q) = %q, %v; EmailDomain said %q", rest, direct, err, d)
		}
		if !InDomain(d, d, false) || InDomain("evil"+d, d, true) {
			t.Fatalf("InDomain disagrees with itself for %q", d)
		}
	})
}
