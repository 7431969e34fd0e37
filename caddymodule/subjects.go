package caddymodule

import (
	"github.com/caddyserver/caddy/v2"

	"github.com/authgate/authgate/caddymodule/config"
	"github.com/authgate/authgate/caddymodule/devkey"
	"github.com/authgate/authgate/verifier"
)

// checkSubjects refuses configurations in which two verifiers can hand out
// the same canonical subject (see verifier.CheckSubjects). pos maps
// "kind name" to a Caddyfile position for the messages.
func (a *App) checkSubjects(pos map[string]string) error {
	return verifier.CheckSubjects(a.subjectOwners(pos))
}

// subjectOwners lists the verifiers that produce identities, and the
// introspect blocks used only through recheck, in declaration order.
func (a *App) subjectOwners(pos map[string]string) []verifier.SubjectOwner {
	repl := caddy.NewReplacer()
	var out []verifier.SubjectOwner
	add := func(kind, name, template, issuer string, same []string) {
		out = append(out, verifier.SubjectOwner{
			Kind: kind, Name: name, Template: template, Same: same,
			Issuer: repl.ReplaceKnown(issuer, ""), Pos: pos[kind+" "+name],
		})
	}
	if a.Dev {
		add(config.DevVerifierName, config.DevVerifierName, "", devkey.Issuer, nil)
		out[len(out)-1].Dev = true
	}
	for _, jc := range a.JWT {
		add("jwt", jc.Name, jc.SubjectTemplate, jc.Issuer, jc.SameSubjects)
	}
	for _, oc := range a.OIDC {
		add("oidc", oc.Name, oc.SubjectTemplate, oc.Issuer, oc.SameSubjects)
	}
	for _, ic := range a.Introspect {
		add("introspect", ic.Name, ic.SubjectTemplate, "", ic.SameSubjects)
		out[len(out)-1].RecheckOnly = len(ic.From) == 0 && !a.Exchanges(ic.Name)
	}
	return out
}
