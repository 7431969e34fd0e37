package archtest

import (
	"bufio"
	"bytes"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/authgate/authgate"

// allowed lists, for each package of the module, the packages of the module
// its non-test code may import. A package may always import packages below
// itself in its own folder tree's internal/ and the leaf internal/ packages
// listed in leaves. A package missing here fails the test: add it, and its
// place in ARCHITECTURE.md, when you create it.
var allowed = map[string][]string{
	"verifier":              {},
	"verifier/credential":   {"verifier"},
	"verifier/verifiertest": {"verifier"},
	"policy":                {"verifier"},
	"policy/checkhttp":      {"verifier", "policy"},
	"claimsource":           {"verifier", "policy"},
	"session":               {"verifier", "policy"},
	"session/boltstore":     {"verifier", "session"},
	"session/redisstore":    {"verifier", "session"},
	"session/sessiontest":   {"verifier", "session"},
	"session/sessionhttp":   {"verifier", "verifier/credential", "policy", "session", "assertion"},
	"assertion":             {"verifier"},
	"health":                {"verifier", "session", "oidclogin"},
	"forward":               {"verifier"},
	"explain":               {"verifier", "verifier/credential", "policy", "policy/checkhttp", "session", "forward"},
	"oidclogin":             {"verifier", "verifier/credential", "policy", "session", "session/sessionhttp"},
	"caddymodule":           {"*"},
	"caddymodule/config":    {"forward", "session/redisstore"},
	"caddymodule/explain":   {"caddymodule/config", "explain", "session/sessionhttp"},
	"caddymodule/metrics":   {"verifier", "session", "session/sessionhttp", "claimsource", "oidclogin"},
	"caddymodule/pools":     {"caddymodule/config", "caddymodule/metrics", "verifier", "session", "session/boltstore", "session/redisstore"},
	"caddymodule/zaplog":    {"session/sessionhttp"},
	"caddymodule/build":     {"caddymodule/config", "caddymodule/pools", "verifier", "policy", "forward", "claimsource", "oidclogin"},
	"caddymodule/devkey":    {"caddymodule/pools", "verifier"},
	"cmd/caddy":             {"*"},
	"cmd/authgatecli":       {"*"},
}

// leaves may be imported by any package of the module: they import no other
// package of the module except other leaves.
var leaves = []string{
	"claims", "internal/clientlimit", "internal/firewall", "internal/headername", "internal/httpx", "internal/jsonnum",
	"internal/logthrottle", "internal/redact", "internal/redirect", "internal/safecache",
}

// testOnly are packages that exist for tests; non-test code other than
// other test-support packages never imports them.
var testOnly = []string{"internal/oidctest", "internal/archtest", "session/sessiontest", "verifier/verifiertest"}

// glue are the only packages that may import Caddy, zap or a metrics
// library, and the only ones that may import caddymodule.
func glue(pkg string) bool {
	return pkg == "caddymodule" || pkg == "cmd" || strings.HasPrefix(pkg, "cmd/") || strings.HasPrefix(pkg, "caddymodule/")
}

// forbidden reports whether a path outside the module is reserved for glue.
func forbidden(path string) bool {
	for _, p := range []string{
		"github.com/caddyserver/", "go.uber.org/zap", "github.com/prometheus/",
		"go.opentelemetry.io/", "expvar",
	} {
		if path == strings.TrimSuffix(p, "/") || strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

func root(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", dir, err)
	}
	return dir
}

// imports returns, for every folder of the module holding non-test Go code,
// the import paths of that code.
func imports(t *testing.T, dir string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			name := d.Name()
			if path != dir && (strings.HasPrefix(name, ".") || name == "testdata" || name == "bench") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		if _, ok := out[rel]; !ok {
			out[rel] = nil
		}
		for _, imp := range f.Imports {
			out[rel] = append(out[rel], strings.Trim(imp.Path.Value, `"`))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestImportRules(t *testing.T) {
	pkgs := imports(t, root(t))
	if len(pkgs) < 5 {
		t.Fatalf("found only %d packages; is the walk broken?", len(pkgs))
	}
	for pkg, imps := range pkgs {
		rules, known := allowed[pkg]
		isLeaf := slices.Contains(leaves, pkg)
		isTestOnly := slices.Contains(testOnly, pkg)
		if !known && !isLeaf && !isTestOnly {
			t.Errorf("%s: package has no import rule; add it to allowed (and to ARCHITECTURE.md)", pkg)
			continue
		}
		for _, imp := range imps {
			if forbidden(imp) && !glue(pkg) {
				t.Errorf("%s imports %s: only caddymodule and cmd may import Caddy, zap or a metrics library", pkg, imp)
			}
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			target := strings.TrimPrefix(imp, module+"/")
			switch {
			case target == "caddymodule" || strings.HasPrefix(target, "caddymodule/"):
				if !glue(pkg) {
					t.Errorf("%s imports %s: nothing below caddymodule imports it", pkg, target)
				}
			case slices.Contains(testOnly, target):
				if !isTestOnly {
					t.Errorf("%s imports test-support package %s", pkg, target)
				}
			case slices.Contains(leaves, target):
				// Any package may use a leaf.
			case isLeaf:
				t.Errorf("%s is a leaf and imports %s: leaves import only other leaves", pkg, target)
			case isTestOnly && !known:
				// Test support may use what it supports.
			case slices.Contains(rules, "*") || slices.Contains(rules, target):
			default:
				t.Errorf("%s imports %s: not allowed (allowed: %v and the leaves)", pkg, target, rules)
			}
		}
	}
}

// TestNoGlueBelowCaddymodule checks the whole dependency tree, not only
// direct imports: a library that pulls zap or Caddy into a domain package
// breaks the rule as much as a direct import does. Test-support packages are
// exempt (the OpenID provider of the tests pulls OpenTelemetry through
// fosite), since they never reach the binary.
func TestNoGlueBelowCaddymodule(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = root(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module+"/") {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], module+"/")
		seen++
		if glue(pkg) || slices.Contains(testOnly, pkg) {
			continue
		}
		for _, dep := range fields[1:] {
			if forbidden(dep) || dep == module+"/caddymodule" {
				t.Errorf("%s depends on %s (transitively): only caddymodule and cmd may", pkg, dep)
			}
		}
	}
	if seen < 5 {
		t.Fatalf("go list listed only %d packages of the module", seen)
	}
}
