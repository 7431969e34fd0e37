package verifier_test

import (
	"context"
	"testing"
	"time"

	"github.com/authgate/authgate/verifier"
)

// TestIntrospectSubjectTemplateQualifiesOnlyIdentities: Verify hands out
// the canonical subject, while Recheck keeps the service's own subject,
// which a re-checked JWT's raw sub is compared with.
func TestIntrospectSubjectTemplateQualifiesOnlyIdentities(t *testing.T) {
	c := newClock()
	svc := newSessionService(t, answer(200, stytchSession("user-1", c.Now().Add(time.Hour))))
	cfg := stytchConfig(svc.URL, c)
	cfg.SubjectTemplate = "stytch:{sub}"
	v := newIntrospect(t, cfg)
	id, err := v.Verify(context.Background(), cookieCred("s", "tok-1"))
	if err != nil || id.Subject != "stytch:user-1" || id.Claims["sub"] != "user-1" {
		t.Fatalf("Verify: subject %v, claims.sub %v, err %v", id.Subject, id.Claims["sub"], err)
	}
	remote, err := v.Recheck(context.Background(), "tok-1")
	if err != nil || remote.Subject != "user-1" {
		t.Fatalf("Recheck: %+v, %v", remote, err)
	}
	cfg.SubjectTemplate = "no placeholder"
	if _, err := verifier.NewIntrospectVerifier(cfg); err == nil {
		t.Fatal("a template without {sub} was accepted")
	}
}
