package verifier

import (
	"fmt"
	"slices"
	"strings"
)

// SubjectOwner is a verifier that hands out canonical subjects: a jwt
// block, an oidc block, an introspect block that reads credentials of its
// own, or the dev verifier. The canonical subject keys claim-source
// lookups, the deny-list, per-user session caps and the admin API, so two
// owners that can hand out the same subject would merge two users into one.
type SubjectOwner struct {
	// Kind is the block's kind as the configuration spells it ("jwt",
	// "oidc", "introspect"); Name is its name.
	Kind, Name string
	// Template is the subject template; "" means "{sub}".
	Template string
	// Issuer is the trusted issuer, placeholders already replaced; "" when
	// the owner has none.
	Issuer string
	// Same lists the owners named in same_subjects.
	Same []string
	// Pos is where the owner is configured (a Caddyfile file:line), for
	// messages; "" when unknown.
	Pos string
	// Dev marks the development verifier, whose subjects are the bare sub
	// and which has no block to name anything in.
	Dev bool
	// RecheckOnly marks an introspect block used only to re-check JWTs: it
	// produces no identity (the JWT's own verifier does, after comparing
	// the raw subs), so it owns no subjects and may not share them.
	RecheckOnly bool
}

func (o SubjectOwner) String() string {
	if o.Dev {
		return "dev"
	}
	return o.Kind + " " + o.Name
}

// at prefixes msg with the owner's position, when known.
func (o SubjectOwner) at(msg string) string {
	if o.Pos == "" {
		return msg
	}
	return o.Pos + ": " + msg
}

// literalPrefix is the template's text before the first {sub}.
func (o SubjectOwner) literalPrefix() string {
	prefix, _, _ := strings.Cut(o.Template, "{sub}")
	return prefix
}

// overlaps reports whether o and p can yield the same subject. Subjects of
// two templates differ wherever their literal prefixes differ, so they can
// only coincide when one prefix is a prefix of the other ("{sub}" collides
// with everything, "a:{sub}" with "a:b:{sub}", never with "b:{sub}").
func (o SubjectOwner) overlaps(p SubjectOwner) bool {
	a, b := o.literalPrefix(), p.literalPrefix()
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// CheckSubjects refuses configurations in which two owners can hand out
// the same canonical subject, unless both name each other in Same, or
// both trust the same issuer (whose subs name one user base by
// definition). It also refuses Same entries that do not name another
// identity-producing owner naming this one back, and Same on a RecheckOnly
// block. owners are in declaration order; the error names the later of two
// colliding owners first.
func CheckSubjects(owners []SubjectOwner) error {
	var producing, recheckOnly []SubjectOwner
	for _, o := range owners {
		if o.RecheckOnly {
			recheckOnly = append(recheckOnly, o)
			continue
		}
		if o.Template == "" {
			o.Template = "{sub}"
		}
		producing = append(producing, o)
	}
	if err := checkSameSubjects(producing, recheckOnly); err != nil {
		return err
	}
	for i, o := range producing {
		for _, p := range producing[:i] {
			if !o.overlaps(p) || o.Issuer != "" && o.Issuer == p.Issuer || declaredSame(o, p) {
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
func declaredSame(o, p SubjectOwner) bool {
	return (slices.Contains(o.Same, p.Name) || o.Dev) && (slices.Contains(p.Same, o.Name) || p.Dev)
}

func collisionMessage(o, p SubjectOwner) string {
	where := ""
	if p.Pos != "" {
		where = " (" + p.Pos + ")"
	}
	msg := fmt.Sprintf("%s: subject_template %s can yield the same subjects as %s%s with subject_template %s, "+
		"so one issuer's sub would act as the other's user; ", o, o.Template, p, where, p.Template)
	if o.Dev || p.Dev {
		other := o
		if o.Dev {
			other = p
		}
		return msg + fmt.Sprintf("dev's subjects are the bare sub: name dev in same_subjects of %s "+
			"(dev tokens then act as its users), or leave dev out", other)
	}
	return msg + fmt.Sprintf("qualify them (e.g. `subject_template %s:{sub}` in %s), "+
		"or, if both front one user base, name each other in same_subjects", o.Name, o)
}

// checkSameSubjects checks that every same_subjects entry names another
// identity-producing owner that names this one back, and that no
// recheck-only block has any.
func checkSameSubjects(owners, recheckOnly []SubjectOwner) error {
	byName := map[string]SubjectOwner{}
	for _, o := range owners {
		byName[o.Name] = o
	}
	for _, o := range owners {
		for _, n := range o.Same {
			p, ok := byName[n]
			switch {
			case n == o.Name:
				return fmt.Errorf("%s", o.at(fmt.Sprintf("%s: same_subjects names itself", o)))
			case !ok:
				return fmt.Errorf("%s", o.at(fmt.Sprintf("%s: same_subjects: %q is not a jwt, oidc or introspect block that reads credentials", o, n)))
			case !p.Dev && !slices.Contains(p.Same, o.Name):
				return fmt.Errorf("%s", o.at(fmt.Sprintf("%s: same_subjects names %s, which must name %s back", o, p, o.Name)))
			}
		}
	}
	// Blocks used only through recheck produce no subjects to share.
	for _, o := range recheckOnly {
		if len(o.Same) > 0 {
			return fmt.Errorf("%s: same_subjects on a block used only through recheck", o)
		}
	}
	return nil
}
