package caddymodule

import (
	"fmt"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
)

// subjectOwner is a verifier that hands out canonical subjects: a jwt
// block, an oidc block, an introspect block that reads credentials of its
// own, or dev. The canonical subject keys claim-source lookups, the
// deny-list, per-user session caps and the admin API, so two owners that
// can hand out the same subject would merge two users into one.
type subjectOwner struct {
	kind, name string
	template   string   // defaulted
	issuer     string   // expanded; "" when the owner has none
	same       []string // same_subjects
	pos        string   // Caddyfile file:line; "" when configured in JSON
}

func (o subjectOwner) String() string {
	if o.isDev() {
		return "dev"
	}
	return o.kind + " " + o.name
}

// at prefixes msg with the owner's Caddyfile position, when known.
func (o subjectOwner) at(msg string) string {
	if o.pos == "" {
		return msg
	}
	return o.pos + ": " + msg
}

// literalPrefix is the template's text before the first {sub}.
func (o subjectOwner) literalPrefix() string {
	prefix, _, _ := strings.Cut(o.template, "{sub}")
	return prefix
}

// overlaps reports whether o and p can yield the same subject. Subjects of
// two templates differ wherever their literal prefixes differ, so they can
// only coincide when one prefix is a prefix of the other ("{sub}" collides
// with everything, "a:{sub}" with "a:b:{sub}", never with "b:{sub}").
func (o subjectOwner) overlaps(p subjectOwner) bool {
	a, b := o.literalPrefix(), p.literalPrefix()
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// subjectOwners lists the verifiers that produce identities, in
// declaration order. pos maps "kind name" to a Caddyfile position.
func (a *App) subjectOwners(pos map[string]string) []subjectOwner {
	repl := caddy.NewReplacer()
	var out []subjectOwner
	add := func(kind, name, template, issuer string, same []string) {
		if template == "" {
			template = "{sub}"
		}
		out = append(out, subjectOwner{
			kind: kind, name: name, template: template, same: same,
			issuer: repl.ReplaceKnown(issuer, ""), pos: pos[kind+" "+name],
		})
	}
	if a.Dev {
		add(devVerifierName, devVerifierName, "", devIssuer, nil)
	}
	for _, jc := range a.JWT {
		add("jwt", jc.Name, jc.SubjectTemplate, jc.Issuer, jc.SameSubjects)
	}
	for _, oc := range a.OIDC {
		add("oidc", oc.Name, oc.SubjectTemplate, oc.Issuer, oc.SameSubjects)
	}
	for _, ic := range a.Introspect {
		// Used only through `recheck`, a block produces no identity: the
		// JWT's own verifier does, after comparing the raw subs.
		if len(ic.From) > 0 {
			add("introspect", ic.Name, ic.SubjectTemplate, "", ic.SameSubjects)
		}
	}
	return out
}

// checkSubjects refuses configurations in which two verifiers can hand out
// the same canonical subject, unless both name each other in
// same_subjects, or both trust the same issuer (whose subs name one user
// base by definition). pos holds Caddyfile positions for the messages.
func (a *App) checkSubjects(pos map[string]string) error {
	owners := a.subjectOwners(pos)
	if err := checkSameSubjects(a, owners); err != nil {
		return err
	}
	for i, o := range owners {
		for _, p := range owners[:i] {
			if !o.overlaps(p) || o.issuer != "" && o.issuer == p.issuer || declaredSame(o, p) {
				continue
			}
			return fmt.Errorf("%s", o.at(collisionMessage(o, p)))
		}
	}
	return nil
}

// declaredSame reports whether o and p name each other in same_subjects.
// dev has no block to name anything in: a block naming dev is enough (dev
// tokens then act as that block's users, as whoever holds the dev key can
// mint any sub anyway).
func declaredSame(o, p subjectOwner) bool {
	return (slices.Contains(o.same, p.name) || o.isDev()) && (slices.Contains(p.same, o.name) || p.isDev())
}

func (o subjectOwner) isDev() bool { return o.kind == devVerifierName }

func collisionMessage(o, p subjectOwner) string {
	where := ""
	if p.pos != "" {
		where = " (" + p.pos + ")"
	}
	msg := fmt.Sprintf("%s: subject_template %s can yield the same subjects as %s%s with subject_template %s, "+
		"so one issuer's sub would act as the other's user; ", o, o.template, p, where, p.template)
	if o.isDev() || p.isDev() {
		other := o
		if o.isDev() {
			other = p
		}
		return msg + fmt.Sprintf("dev's subjects are the bare sub: name dev in same_subjects of %s "+
			"(dev tokens then act as its users), or leave dev out", other)
	}
	return msg + fmt.Sprintf("qualify them (e.g. `subject_template %s:{sub}` in %s), "+
		"or, if both front one user base, name each other in same_subjects", o.name, o)
}

// checkSameSubjects checks that every same_subjects entry names another
// identity-producing verifier that names this one back.
func checkSameSubjects(a *App, owners []subjectOwner) error {
	byName := map[string]subjectOwner{}
	for _, o := range owners {
		byName[o.name] = o
	}
	for _, o := range owners {
		for _, n := range o.same {
			p, ok := byName[n]
			switch {
			case n == o.name:
				return fmt.Errorf("%s", o.at(fmt.Sprintf("%s: same_subjects names itself", o)))
			case !ok:
				return fmt.Errorf("%s", o.at(fmt.Sprintf("%s: same_subjects: %q is not a jwt, oidc or introspect block that reads credentials", o, n)))
			case !p.isDev() && !slices.Contains(p.same, o.name):
				return fmt.Errorf("%s", o.at(fmt.Sprintf("%s: same_subjects names %s, which must name %s back", o, p, o.name)))
			}
		}
	}
	// Blocks used only through recheck produce no subjects to share.
	for _, ic := range a.Introspect {
		if len(ic.From) == 0 && len(ic.SameSubjects) > 0 {
			return fmt.Errorf("introspect %s: same_subjects on a block used only through recheck", ic.Name)
		}
	}
	return nil
}

// position is the Dispenser's current file:line.
func position(d *caddyfile.Dispenser) string { return fmt.Sprintf("%s:%d", d.File(), d.Line()) }
