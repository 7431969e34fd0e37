package caddymodule

import (
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The examples and tables of the documentation (docs/policies.md and the
// other pages), run through a real Caddy so the documentation cannot drift
// from the gateway.

// docFiles are the files a marked example may live in: README.md and every
// page under docs/.
func docFiles(t *testing.T) []string {
	t.Helper()
	pages, err := filepath.Glob("../docs/*.md")
	if err != nil {
		t.Fatal(err)
	}
	return append([]string{"../README.md"}, pages...)
}

// readmeBlock returns the fenced code block that follows the line
// "<!-- KIND: NAME -->" in the documentation, without its fences.
func readmeBlock(t *testing.T, kind, name string) string {
	t.Helper()
	lines := readmeLinesAfter(t, kind, name)
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "```") {
		t.Fatalf("README: <!-- %s: %s --> is not followed by a code fence", kind, name)
	}
	for i, l := range lines[1:] {
		if l == "```" {
			return strings.Join(lines[1:i+1], "\n")
		}
	}
	t.Fatalf("README: code block %s is not closed", name)
	return ""
}

// readmeExample returns the code block marked <!-- example: NAME -->.
func readmeExample(t *testing.T, name string) string {
	t.Helper()
	return readmeBlock(t, "example", name)
}

// readmeTable returns the rows of the Markdown table that follows
// "<!-- KIND: NAME -->", each keyed by its column header.
func readmeTable(t *testing.T, kind, name string) []map[string]string {
	t.Helper()
	var header []string
	var rows []map[string]string
	for i, l := range readmeLinesAfter(t, kind, name) {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), "|")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		switch i {
		case 0:
			header = cells
			continue
		case 1:
			continue // |---|---|
		}
		if len(cells) != len(header) {
			t.Fatalf("README table %s: row %q has %d cells, want %d", name, l, len(cells), len(header))
		}
		row := map[string]string{}
		for j, h := range header {
			row[h] = cells[j]
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		t.Fatalf("README: no table after <!-- %s: %s -->", kind, name)
	}
	return rows
}

// readmeLinesAfter returns the lines of the documentation page holding the
// marker after it, blank lines right after it skipped. The marker must occur
// exactly once over README.md and docs/*.md.
func readmeLinesAfter(t *testing.T, kind, name string) []string {
	t.Helper()
	marker := "<!-- " + kind + ": " + name + " -->\n"
	var in []string
	var after string
	for _, f := range docFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Count(string(data), marker)
		for range n {
			in = append(in, filepath.Base(f))
		}
		if n == 1 {
			_, after, _ = strings.Cut(string(data), marker)
		}
	}
	if len(in) != 1 {
		t.Fatalf("docs: %q occurs %d times %v, want once", strings.TrimSpace(marker), len(in), in)
	}
	return strings.Split(strings.TrimLeft(after, "\n"), "\n")
}

// runnableExample returns a README example ready for startGateway: the
// admin API off, storage in {STORAGE}, the site on {PORT} and the app at
// upstream. Examples start with a global block opening with `authgate {`,
// serve `:8080` and proxy to `127.0.0.1:9000`.
func runnableExample(t *testing.T, name, upstream string) string {
	t.Helper()
	ex := readmeExample(t, name) + "\n"
	const global = "{\n\tauthgate {\n"
	if !strings.HasPrefix(ex, global) {
		t.Fatalf("README example %s must start with %q", name, global)
	}
	ex = "{\n\tadmin off\n\tstorage file_system {STORAGE}\n" + strings.TrimPrefix(ex, "{\n")
	if strings.Count(ex, "\n:8080 {\n") != 1 {
		t.Fatalf("README example %s must have one site `:8080 {`", name)
	}
	ex = strings.Replace(ex, "\n:8080 {\n", "\nhttp://127.0.0.1:{PORT} {\n", 1)
	return strings.ReplaceAll(ex, "reverse_proxy 127.0.0.1:9000", "reverse_proxy "+upstream)
}

var (
	codeSpan = regexp.MustCompile("`([^`]+)`")
	// failureSpan is "`id`: message" in an expected 403 response.
	failureSpan = regexp.MustCompile("`([^`]+)`: (value does not exist|wrong value|expired)")
	// caseSpan is one token in a passes/fails cell: `name=value` claims, or
	// "without `name`" for a token without claims.
	caseSpan = regexp.MustCompile("(without )?`([^`]+)`")
)

// spans returns the contents of the code spans in a table cell.
func spans(cell string) []string {
	var out []string
	for _, m := range codeSpan.FindAllStringSubmatch(cell, -1) {
		out = append(out, m[1])
	}
	return out
}

// readmeRequest is one row of an expect table.
type readmeRequest struct {
	method, path string
	token        bool
	claims       []string
	status       int
	location     string      // 302
	failures     [][2]string // 403: id, message
	documented   bool        // 403: the body is policy-403-body
}

func parseExpectRow(t *testing.T, row map[string]string) readmeRequest {
	t.Helper()
	var req readmeRequest
	reqSpans := spans(row["request"])
	if len(reqSpans) != 1 || len(strings.Fields(reqSpans[0])) != 2 {
		t.Fatalf("README: bad request cell %q", row["request"])
	}
	f := strings.Fields(reqSpans[0])
	req.method, req.path = f[0], f[1]
	req.claims = spans(row["token claims"])
	req.token = row["token claims"] != "no token"
	if req.token && len(req.claims) == 0 {
		t.Fatalf("README: bad claims cell %q", row["token claims"])
	}
	resp := row["response"]
	status, err := strconv.Atoi(resp[:min(3, len(resp))])
	if err != nil {
		t.Fatalf("README: response cell %q does not start with a status", resp)
	}
	req.status = status
	switch status {
	case http.StatusFound:
		s := spans(resp)
		if len(s) == 0 {
			t.Fatalf("README: 302 without a location: %q", resp)
		}
		req.location = s[0]
	case http.StatusForbidden:
		for _, m := range failureSpan.FindAllStringSubmatch(resp, -1) {
			req.failures = append(req.failures, [2]string{m[1], m[2]})
		}
		if len(req.failures) == 0 {
			t.Fatalf("README: 403 without failing ids: %q", resp)
		}
		req.documented = strings.Contains(resp, "the body below")
	}
	return req
}

func (req readmeRequest) String() string {
	claims := "no token"
	if req.token {
		claims = strings.Join(req.claims, " ")
	}
	return fmt.Sprintf("%s %s with %s gets %d", req.method, req.path, claims, req.status)
}

// check sends the request and compares the answer with the row.
func (req readmeRequest) check(t *testing.T, g *gateway, documentedBody string) {
	t.Helper()
	var hdr []string
	if req.token {
		hdr = append(hdr, "Authorization: Bearer "+g.mint("alice", req.claims...))
	}
	r := g.do(req.method, req.path, hdr...)
	switch req.status {
	case http.StatusOK:
		wantStatus(t, r, http.StatusOK)
		if r.upstream != nil && req.token && r.upstream.Get("X-Auth-User-Id") != "alice" {
			t.Errorf("upstream X-Auth-User-Id = %q", r.upstream.Get("X-Auth-User-Id"))
		}
	case http.StatusFound:
		wantRedirect(t, r, req.location)
	case http.StatusForbidden:
		fs := wantDenied(t, r)
		got := make([][2]string, len(fs))
		for i, f := range fs {
			msg, _ := f.Reason["message"].(string)
			got[i] = [2]string{f.ID, msg}
		}
		if !slices.Equal(got, req.failures) {
			t.Errorf("failures = %q, want %q", got, req.failures)
		}
		for _, f := range fs {
			if f.Reason["message"] == "expired" {
				wantExpiredReason(t, f.Reason)
			}
		}
		if req.documented && r.body != documentedBody {
			t.Errorf("body differs from README's policy-403-body:\ngot  %s\nwant %s", r.body, documentedBody)
		}
	default:
		wantStatus(t, r, req.status)
	}
}

func TestReadmePolicyExamplesBehaveAsDocumented(t *testing.T) {
	documentedBody := readmeExample(t, "policy-403-body")
	checkedBody := false
	for _, name := range []string{"policy-admin", "policy-paths", "policy-max-age", "policy-redirect",
		"policy-email-domain", "policy-ends-with-hazard"} {
		t.Run(name, func(t *testing.T) {
			up := echoUpstream(t)
			g := startGateway(t, runnableExample(t, name, up.URL))
			for _, row := range readmeTable(t, "expect", name) {
				req := parseExpectRow(t, row)
				checkedBody = checkedBody || req.documented
				t.Run(req.String(), func(t *testing.T) { req.check(t, g, documentedBody) })
			}
		})
	}
	if !checkedBody && !testing.Short() {
		t.Errorf("no README row is marked as producing the policy-403-body example")
	}
}

// roleLines returns the `role` lines of a README example.
func roleLines(t *testing.T, example string) string {
	t.Helper()
	var out []string
	for l := range strings.Lines(example) {
		if strings.HasPrefix(strings.TrimSpace(l), "role ") {
			out = append(out, "\t\t"+strings.TrimSpace(l))
		}
	}
	if len(out) == 0 {
		t.Fatal("README example has no role lines")
	}
	return strings.Join(out, "\n")
}

// TestReadmeValidatorTablesHold runs every row of the README's validator
// and typing tables: its example line alone on a route, with the role lines
// of the first example, each "passes for" token passing and each "fails for"
// token getting a 403 with the documented reason.
func TestReadmeValidatorTablesHold(t *testing.T) {
	roles := roleLines(t, readmeExample(t, "policy-admin"))
	for _, table := range []string{"policy-validators", "policy-typing"} {
		t.Run(table, func(t *testing.T) {
			rows := readmeTable(t, "table", table)
			var site strings.Builder
			lines := make([]string, len(rows))
			for i, row := range rows {
				s := spans(row["example"])
				if len(s) != 1 || !strings.HasPrefix(s[0], "require ") {
					t.Fatalf("README: bad example cell %q", row["example"])
				}
				lines[i] = s[0]
				site.WriteString(route(fmt.Sprintf("/row%d/*", i), s[0]))
			}
			g := startPolicyGateway(t, roles, site.String())
			for i, row := range rows {
				path := fmt.Sprintf("/row%d/x", i)
				passes := caseSpan.FindAllStringSubmatch(row["passes for"], -1)
				fails := caseSpan.FindAllStringSubmatch(row["fails for (403)"], -1)
				if len(passes) == 0 || len(fails) == 0 {
					t.Fatalf("README: row %q needs passing and failing tokens", lines[i])
				}
				for _, m := range passes {
					t.Run(lines[i]+" passes for "+m[0], func(t *testing.T) {
						wantPassed(t, g.as(path, m[2]))
					})
				}
				field := ""
				if s := spans(row["reason field"]); len(s) == 1 {
					field = s[0]
				}
				for _, m := range fails {
					t.Run(lines[i]+" fails for "+m[0], func(t *testing.T) {
						checkTableFailure(t, g, path, m[1] != "", m[2], field, row["reason field"] != "")
					})
				}
			}
		})
	}
}

// checkTableFailure checks one "fails for" token of a validator table row:
// without (a token lacking the claim) or claim, the reason's message, and,
// when the table has a reason field column, the reason's exact fields.
func checkTableFailure(t *testing.T, g *gateway, path string, without bool, claim, field string, checkFields bool) {
	t.Helper()
	var r response
	want := []string{"message"}
	msg := "wrong value"
	if without {
		r, msg = g.as(path), "value does not exist"
	} else {
		r = g.as(path, claim)
		want = append(want, "actualValue")
	}
	fs := wantDenied(t, r)
	if len(fs) != 1 || fs[0].Reason["message"] != msg {
		t.Fatalf("want one %q failure; body %s", msg, r.body)
	}
	if !checkFields {
		return
	}
	if field != "" {
		want = append(want, field)
	}
	if got := slices.Sorted(maps.Keys(fs[0].Reason)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("reason fields = %q, want %q; body %s", got, want, r.body)
	}
}

func TestReadmeIDFragmentLoadsAndNamesTheSecondValidator(t *testing.T) {
	frag := readmeBlock(t, "fragment", "policy-ids")
	g := startPolicyGateway(t, "", route("/r/*", strings.Split(frag, "\n")...))
	wantPassed(t, g.as("/r/x", `roles=["editor"]`))
	wantFailedIDs(t, g.as("/r/x", `roles=["editor","banned"]`), "not_banned")
}
