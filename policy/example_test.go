package policy_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/authgate/authgate/policy"
	"github.com/authgate/authgate/verifier"
)

// Example compiles the policy of two `require` lines once, then evaluates
// verified identities against it: one passes, the other gets the denial
// whose JSON encoding is the 403 body.
func Example() {
	p, err := policy.Compile([]policy.Spec{
		{Claim: "email_verified", Op: policy.OpIsTrue},
		{Claim: "roles", Op: policy.OpIncludes, Values: []any{"admin"}},
	}, policy.Options{})
	if err != nil {
		panic(err)
	}

	alice := &verifier.Identity{Subject: "alice", Claims: map[string]any{
		"email_verified": true, "roles": []any{"admin", "user"}}}
	_, denial, err := p.Evaluate(context.Background(), alice)
	fmt.Println("alice denied:", denial != nil, err)

	bob := &verifier.Identity{Subject: "bob", Claims: map[string]any{
		"email_verified": true, "roles": []any{"user"}}}
	_, denial, _ = p.Evaluate(context.Background(), bob)
	body, _ := json.Marshal(denial)
	fmt.Println(string(body))
	// Output:
	// alice denied: false <nil>
	// {"message":"invalid claim","claimValidationErrors":[{"id":"roles","reason":{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}}]}
}
