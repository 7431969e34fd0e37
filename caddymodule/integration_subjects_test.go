package caddymodule

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/caddyconfig"

	"github.com/authgate/authgate/verifier/verifiertest"
)

// wantConfigError checks that a Caddyfile is refused, when it is adapted
// (errors that can name Caddyfile lines) or when it is loaded.
func wantConfigError(t *testing.T, caddyfile, want string) {
	t.Helper()
	cfg, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(caddyfile), nil)
	if err != nil {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("adapt error %v, want %q", err, want)
		}
		return
	}
	wantLoadError(t, cfg, want)
}

// issuersSite trusts two JWT issuers and one opaque-token service, all of
// which know a user whose sub is "alice". The user service (a claim
// source) makes only idpA's alice an admin; sessions are capped at 3 per
// user. {TPL_*} are the subject templates.
const issuersSite = `{
	admin {ADMIN}
	storage file_system {STORAGE}
	authgate {
		jwt idpA {
			issuer idp-a
			audience any
			key_file {KEY_A}
			{TPL_A}
		}
		jwt idpB {
			issuer idp-b
			audience any
			key_file {KEY_B}
			{TPL_B}
		}
		introspect idpC {
			url {INTROSPECT}
			mode rfc7662
			from header X-Opaque-Token
			{TPL_C}
		}
		claim roles {
			fetch {SOURCE}/v1/users/{sub}/roles
			path roles
			max_age 1h
		}
		session {
			store bolt {STORAGE}/sessions.db
			exchange idpA idpB
			max_sessions_per_user 3
		}
	}
}
http://127.0.0.1:{PORT} {
	handle /admin/* {
		authgate {
			require roles includes admin
		}
		reverse_proxy {UPSTREAM}
	}
	handle {
		authgate
		reverse_proxy {UPSTREAM}
	}
}
`

// issuers is a running issuersSite.
type issuers struct {
	*gateway
	admin      string // Caddy's admin API
	src        *userService
	keyA, keyB *verifiertest.Key
	jti        atomic.Int64
}

// issuersCaddyfile fills issuersSite; tpl holds the three template lines.
func issuersCaddyfile(t *testing.T, src, introspect, admin string, keyA, keyB *verifiertest.Key, tpl [3]string) string {
	t.Helper()
	dir := t.TempDir()
	pathA, pathB := filepath.Join(dir, "a.pem"), filepath.Join(dir, "b.pem")
	for path, key := range map[string]*verifiertest.Key{pathA: keyA, pathB: keyB} {
		if err := os.WriteFile(path, key.PublicPEM(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return strings.NewReplacer("{ADMIN}", admin, "{KEY_A}", pathA, "{KEY_B}", pathB, "{INTROSPECT}", introspect,
		"{SOURCE}", src, "{UPSTREAM}", echoUpstream(t).URL,
		"{TPL_A}", tpl[0], "{TPL_B}", tpl[1], "{TPL_C}", tpl[2]).Replace(issuersSite)
}

// opaqueService is an RFC 7662 server for which every token "opaque-SUB"
// is active for SUB.
func opaqueService(t *testing.T) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub, ok := strings.CutPrefix(r.PostFormValue("token"), "opaque-")
		answerJSON(w, 200, map[string]any{"active": ok, "sub": sub})
	}))
	t.Cleanup(s.Close)
	return s
}

func startIssuers(t *testing.T, tpl [3]string) *issuers {
	t.Helper()
	f := &issuers{src: newUserService(t), keyA: verifiertest.NewECKey("a"), keyB: verifiertest.NewECKey("b")}
	f.src.setRoles("idpA:alice", "admin")
	adminAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	f.admin = "http://" + adminAddr
	f.gateway = startGateway(t, issuersCaddyfile(t, f.src.URL, opaqueService(t).URL, adminAddr, f.keyA, f.keyB, tpl))
	return f
}

// token mints a fresh token of issuer idp-a or idp-b for sub.
func (f *issuers) token(key *verifiertest.Key, iss, sub string) string {
	now := time.Now()
	return key.MintHeader(map[string]any{"kid": nil}, map[string]any{
		"iss": iss, "sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"jti": fmt.Sprintf("%s-%d", iss, f.jti.Add(1)),
	})
}

// exchange trades a token for a session cookie header.
func (f *issuers) exchange(t *testing.T, token string) string {
	t.Helper()
	r := send(t, f.base, "POST", "/.authgate/session", "", "Authorization: Bearer "+token)
	wantStatus(t, r, http.StatusCreated)
	return "Cookie: " + sessionCookieName + "=" + sesCookie(t, r).Value
}

// TestSameSubOfTwoIssuersIsRefusedAsConfiguration: with the default
// templates, issuer B's "alice" and the session service's "alice" would be
// idpA's alice. The load fails and says where and how to fix it.
func TestSameSubOfTwoIssuersIsRefusedAsConfiguration(t *testing.T) {
	keyA, keyB := verifiertest.NewECKey("a"), verifiertest.NewECKey("b")
	site := issuersCaddyfile(t, "http://127.0.0.1:9", "http://127.0.0.1:9", "off", keyA, keyB, [3]string{})
	site = strings.NewReplacer("{PORT}", fmt.Sprint(freePort(t)), "{STORAGE}", t.TempDir()).Replace(site)
	wantConfigError(t, site, "Caddyfile:11: jwt idpB: subject_template {sub} can yield the same subjects as jwt idpA (Caddyfile:5)")
	wantConfigError(t, site, "`subject_template idpB:{sub}`")

	qualified := strings.Replace(site, "key_file", "subject_template idpA:{sub}\n\t\t\tkey_file", 1)
	qualified = strings.Replace(qualified, "issuer idp-b", "issuer idp-b\n\t\t\tsubject_template idpB:{sub}", 1)
	wantConfigError(t, qualified, "introspect idpC: subject_template {sub} can yield the same subjects as jwt idpA")

	// Configured in JSON, the same configuration fails at provision.
	jsonCfg := []byte(`{"admin":{"disabled":true},"apps":{"authgate":{"jwt":[
		{"name":"idpA","issuer":"idp-a","audience":["any"],"secret_file":"/nonexistent"},
		{"name":"idpB","issuer":"idp-b","audience":["any"],"secret_file":"/nonexistent"}]}}}`)
	wantLoadError(t, jsonCfg, "jwt idpB: subject_template {sub} can yield the same subjects as jwt idpA")
}

// TestSubjectTemplateRulesAtLoad pins what collides and what does not.
func TestSubjectTemplateRulesAtLoad(t *testing.T) {
	const jwtA = "\t\tjwt a {\n\t\t\tissuer a\n\t\t\taudience any\n\t\t\tsecret_file /nonexistent\n%s\t\t}\n"
	const jwtB = "\t\tjwt b {\n\t\t\tissuer b\n\t\t\taudience any\n\t\t\tsecret_file /nonexistent\n\t\t\tfrom cookie b\n%s\t\t}\n"
	const opaque = "\t\tintrospect c {\n\t\t\turl http://127.0.0.1:9/\n%s\t\t}\n"
	site := func(blocks ...string) string {
		return "{\n\tadmin off\n\tauthgate {\n" + strings.Join(blocks, "") + "\t}\n}\n"
	}
	opt := func(lines ...string) string {
		out := ""
		for _, l := range lines {
			out += "\t\t\t" + l + "\n"
		}
		return out
	}
	for _, tc := range []struct{ name, caddyfile, want string }{
		{"a prefix of another prefix collides", site(fmt.Sprintf(jwtA, opt("subject_template a:{sub}")), fmt.Sprintf(jwtB, opt("subject_template a:b:{sub}"))),
			"Caddyfile:10: jwt b: subject_template a:b:{sub} can yield the same subjects as jwt a (Caddyfile:4)"},
		{"dev collides with any other verifier", site("\t\tdev\n", fmt.Sprintf(jwtB, opt("subject_template b:{sub}"))),
			"Caddyfile:5: jwt b: subject_template b:{sub} can yield the same subjects as dev (Caddyfile:4)"},
		{"same_subjects must be mutual", site(fmt.Sprintf(jwtA, opt("same_subjects b")), fmt.Sprintf(jwtB, "")),
			"Caddyfile:4: jwt a: same_subjects names jwt b, which must name a back"},
		{"same_subjects must name a verifier", site(fmt.Sprintf(jwtA, opt("same_subjects nobody"))),
			`same_subjects: "nobody" is not`},
		{"an introspect block that reads credentials counts", site(fmt.Sprintf(jwtA, ""), fmt.Sprintf(opaque, opt("from cookie sid"))),
			"introspect c: subject_template {sub} can yield the same subjects as jwt a"},
		{"an oidc block counts", site(fmt.Sprintf(jwtA, opt("subject_template corp:{sub}")), "\t\toidc corp {\n\t\t\tissuer http://127.0.0.1:9\n\t\t\tclient_id x\n\t\t\tcallback_url https://app.example.com/.authgate/callback\n\t\t\tsubject_template corp:{sub}\n\t\t}\n"),
			"oidc corp: subject_template corp:{sub} can yield the same subjects as jwt a"},
	} {
		t.Run(tc.name, func(t *testing.T) { wantConfigError(t, tc.caddyfile, tc.want) })
	}
	// Disjoint prefixes, declared user bases, and an introspect block used
	// only through recheck (it produces no identity) all pass the check:
	// the load then fails only on the missing secret files.
	for name, caddyfile := range map[string]string{
		"disjoint prefixes": site(fmt.Sprintf(jwtA, opt("subject_template a:{sub}")), fmt.Sprintf(jwtB, opt("subject_template b:{sub}"))),
		"one user base":     site(fmt.Sprintf(jwtA, opt("same_subjects b")), fmt.Sprintf(jwtB, opt("same_subjects a"))),
		"dev named":         site("\t\tdev\n", fmt.Sprintf(jwtB, opt("same_subjects dev"))),
		"recheck only":      site(fmt.Sprintf(jwtA, opt("recheck c")), fmt.Sprintf(opaque, "")),
	} {
		t.Run(name, func(t *testing.T) { wantConfigError(t, caddyfile, "secret_file") })
	}
}

// TestQualifiedSubjectsShareNothingAcrossIssuers performs the attack with
// qualified templates: issuer B's alice and the session service's alice
// are other users than idpA's alice, for claim-source values (roles), the
// per-user session cap, session revocation and the deny-list.
func TestQualifiedSubjectsShareNothingAcrossIssuers(t *testing.T) {
	f := startIssuers(t, [3]string{"subject_template idpA:{sub}", "subject_template idpB:{sub}", "subject_template idpC:{sub}"})
	aliceA := "Authorization: Bearer " + f.token(f.keyA, "idp-a", "alice")
	r := f.do("GET", "/admin/", aliceA)
	wantStatus(t, r, http.StatusOK)
	wantUpstream(t, r, "X-Auth-User-Id", "idpA:alice")

	for name, cred := range map[string]string{
		"issuer B's alice":    "Authorization: Bearer " + f.token(f.keyB, "idp-b", "alice"),
		"the service's alice": "X-Opaque-Token: opaque-alice",
	} {
		t.Run(name+" gets her own subject and roles", func(t *testing.T) {
			wantStatus(t, f.do("GET", "/admin/", cred), http.StatusForbidden)
			r := f.do("GET", "/", cred)
			wantStatus(t, r, http.StatusOK)
			if got := r.upstream.Get("X-Auth-User-Id"); got == "idpA:alice" || !strings.HasSuffix(got, ":alice") {
				t.Fatalf("X-Auth-User-Id = %q", got)
			}
		})
	}
	wantCalls(t, f.src, "roles", "idpB:alice", 1)
	wantCalls(t, f.src, "roles", "idpC:alice", 1)

	sessionA := f.exchange(t, f.token(f.keyA, "idp-a", "alice"))
	t.Run("issuer B's sessions do not count against idpA's alice", func(t *testing.T) {
		for range 5 {
			f.exchange(t, f.token(f.keyB, "idp-b", "alice"))
		}
		wantStatus(t, f.do("GET", "/admin/", sessionA), http.StatusOK)
	})
	t.Run("revoking issuer B's alice leaves idpA's alice alone", func(t *testing.T) {
		aliceB := "Authorization: Bearer " + f.token(f.keyB, "idp-b", "alice")
		time.Sleep(time.Second) // revocations by sub cover tokens issued before them (iat has 1s steps)
		wantStatus(t, send(t, f.admin, "DELETE", "/authgate/sessions?user_id=idpB:alice", "", jsonCT), http.StatusOK)
		until := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
		wantStatus(t, send(t, f.admin, "POST", "/authgate/revocations", `{"sub":"idpB:alice","until":"`+until+`"}`, jsonCT), http.StatusCreated)
		wantStatus(t, f.do("GET", "/admin/", sessionA), http.StatusOK)
		wantStatus(t, f.do("GET", "/admin/", aliceA), http.StatusOK)
		wantReason(t, f.do("GET", "/", aliceB), http.StatusUnauthorized, "token_revoked")
	})
}
