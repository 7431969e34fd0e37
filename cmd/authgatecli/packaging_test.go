package authgatecli

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
)

// repoRoot is the checkout this package lives in.
const repoRoot = "../.."

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, name))
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return string(b)
}

// dockerInstruction returns the arguments of the Dockerfile's one
// instruction named name, continuation lines joined.
func dockerInstruction(t *testing.T, dockerfile, name string) string {
	t.Helper()
	joined := strings.ReplaceAll(dockerfile, "\\\n", " ")
	var found []string
	for _, line := range strings.Split(joined, "\n") {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), name+" "); ok {
			found = append(found, strings.TrimSpace(rest))
		}
	}
	if len(found) != 1 {
		t.Fatalf("the Dockerfile has %d %s instructions, want 1", len(found), name)
	}
	return found[0]
}

// The image's HEALTHCHECK runs the binary's own `authgate health` in exec
// form (the distroless image has no shell and no curl), and the admin
// address that command finds with no flags is the one the image's
// configuration (Caddyfile.example) listens on, so the check reaches the
// running instance.
func TestDockerHealthcheckRunsTheHealthCommand(t *testing.T) {
	dockerfile := readRepoFile(t, "Dockerfile")
	hc := dockerInstruction(t, dockerfile, "HEALTHCHECK")
	_, cmdJSON, ok := strings.Cut(hc, "CMD ")
	if !ok {
		t.Fatalf("HEALTHCHECK %q has no CMD", hc)
	}
	var argv []string
	if err := json.Unmarshal([]byte(strings.TrimSpace(cmdJSON)), &argv); err != nil {
		t.Fatalf("HEALTHCHECK CMD %q is not the exec form (the image has no shell): %v", cmdJSON, err)
	}
	if len(argv) != 3 || argv[1] != "authgate" || argv[2] != "health" {
		t.Fatalf("HEALTHCHECK runs %q, want [<binary> authgate health] (with flags, update this test)", argv)
	}
	if !strings.Contains(dockerfile, "COPY --from=build /out/caddy "+argv[0]+"\n") {
		t.Errorf("HEALTHCHECK runs %s, which is not where the image puts the binary", argv[0])
	}
	if !strings.Contains(dockerfile, "COPY Caddyfile.example /etc/caddy/Caddyfile\n") ||
		!strings.Contains(dockerfile, `"--config", "/etc/caddy/Caddyfile"`) {
		t.Fatal("the image no longer runs Caddyfile.example: check which admin address its HEALTHCHECK reaches")
	}
	probed, err := caddycmd.DetermineAdminAPIAddress("", nil, "", "")
	if err != nil {
		t.Fatal(err)
	}
	served, err := caddycmd.DetermineAdminAPIAddress("", nil, filepath.Join(repoRoot, "Caddyfile.example"), "caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	if probed != served || served != caddy.DefaultAdminListen {
		t.Errorf("the HEALTHCHECK asks %s, the image's configuration listens on %s", probed, served)
	}
}

// packageMarker gives the test this package's import path.
type packageMarker struct{}

// The image's `caddy authgate version` comes from -ldflags -X (.git is not
// in the build context): the Dockerfile must set the variable `version`
// reads, by its full import path, from the AUTHGATE_VERSION build
// argument; a renamed variable or moved package would be ignored silently
// by the linker.
func TestDockerBuildSetsTheVersionVariable(t *testing.T) {
	_ = ldflagsVersion // renaming it fails the build of this test
	m := regexp.MustCompile(`-X ([^=\s"]+)=\$\{AUTHGATE_VERSION\}`).FindAllStringSubmatch(readRepoFile(t, "Dockerfile"), -1)
	want := reflect.TypeFor[packageMarker]().PkgPath() + ".ldflagsVersion"
	if len(m) != 1 || m[0][1] != want {
		t.Fatalf("the Dockerfile sets %v from AUTHGATE_VERSION, want -X %s", m, want)
	}
}

// dockerIgnored reports whether .dockerignore's patterns leave path (a
// slash path from the context root) out of the build context: a pattern
// matches the path or one of its parent directories, and the last
// matching line decides ("!" re-includes).
func dockerIgnored(patterns []string, path string) bool {
	ignored := false
	for _, p := range patterns {
		negate := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(strings.TrimPrefix(p, "!"), "/")
		for prefix := path; ; {
			if ok, _ := filepath.Match(p, prefix); ok {
				ignored = !negate
				break
			}
			i := strings.LastIndexByte(prefix, '/')
			if i < 0 {
				break
			}
			prefix = prefix[:i]
		}
	}
	return ignored
}

// The Docker build context leaves out .git and locally built binaries
// (a 95 MB caddy binary used to be sent), but keeps everything the
// Dockerfile copies and builds from.
func TestDockerignoreDropsGitAndBinaries(t *testing.T) {
	var patterns []string
	for _, line := range strings.Split(readRepoFile(t, ".dockerignore"), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			patterns = append(patterns, line)
		}
	}
	for _, path := range []string{".git", ".git/HEAD", ".git/objects/pack/x.pack", "caddy", "cmd/caddy/caddy", "authgatecli.test"} {
		if !dockerIgnored(patterns, path) {
			t.Errorf("%s is sent with the build context", path)
		}
	}
	for _, path := range []string{"go.mod", "go.sum", "Caddyfile.example", "cmd/caddy/main.go", "caddymodule/app.go", "LICENSE"} {
		if dockerIgnored(patterns, path) {
			t.Errorf("%s, which the image is built from, is left out of the build context", path)
		}
	}
}

// git ignores what `go build` and `go test` leave in a checkout, and
// nothing the repository holds.
func TestGitignoreCoversBuildOutput(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed")
	}
	ignored := func(path string) bool {
		cmd := exec.Command("git", "check-ignore", "--no-index", "-q", path)
		cmd.Dir = repoRoot
		err := cmd.Run()
		if exit, ok := err.(*exec.ExitError); ok && exit.ExitCode() == 1 {
			return false
		}
		if err != nil {
			t.Skipf("git check-ignore: %v (not a git checkout?)", err)
		}
		return true
	}
	for _, path := range []string{"caddy", "cmd/caddy/caddy", "caddymodule/caddymodule.test", "cpu.prof", "coverage.out"} {
		if !ignored(path) {
			t.Errorf("git does not ignore %s", path)
		}
	}
	for _, path := range []string{"go.mod", "Caddyfile.example", "cmd/caddy/main.go", "Dockerfile", ".dockerignore", "LICENSE"} {
		if ignored(path) {
			t.Errorf("git ignores %s", path)
		}
	}
}

// authgate is licensed like Caddy, under Apache-2.0, and the README says so.
func TestLicenseIsApache2(t *testing.T) {
	license := readRepoFile(t, "LICENSE")
	if !strings.Contains(license, "Apache License") || !strings.Contains(license, "Version 2.0, January 2004") ||
		!strings.Contains(license, "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION") {
		t.Error("LICENSE is not the Apache License 2.0 text")
	}
	if !strings.Contains(readRepoFile(t, "README.md"), "Apache License 2.0") {
		t.Error("the README does not name the license")
	}
}
