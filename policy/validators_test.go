package policy

import (
	"testing"
	"time"
)

// typesDoc holds one claim of every JSON type; "missing" is absent.
const typesDoc = `{
	"str": "admin", "strTrue": "true", "strOne": "1", "empty": "",
	"num": 1, "zero": 0, "bool": true, "false": false, "null": null,
	"arr": ["admin", "x"], "arrOne": ["admin"], "nums": [1, 2], "strNums": ["1"],
	"strBools": ["true"], "nulls": [null], "nested": [["x"], {"k": 1}],
	"obj": {"k": 1}
}`

// validatorCase checks one spec against typesDoc; want is the exact reason
// JSON of its failure, or "" when it passes.
type validatorCase struct {
	name string
	spec Spec
	want string
}

func runValidatorCases(t *testing.T, tests []validatorCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, Options{}, tc.spec)
			got := evaluate(t, p, identity(t, typesDoc))
			want := ""
			if tc.want != "" {
				want = denied(p.IDs()[0], tc.want)
			}
			if got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
		})
	}
}

func spec(claim string, op Op, values ...any) Spec {
	return Spec{Claim: claim, Op: op, Values: values}
}

func TestHasValue(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"an equal string passes", spec("str", OpHasValue, "admin"), ""},
		{"a different string fails", spec("str", OpHasValue, "root"),
			`{"message":"wrong value","expectedValue":"root","actualValue":"admin"}`},
		{"the string true is not the boolean", spec("bool", OpHasValue, "true"),
			`{"message":"wrong value","expectedValue":"true","actualValue":true}`},
		{"the boolean true is not the string", spec("strTrue", OpHasValue, true),
			`{"message":"wrong value","expectedValue":true,"actualValue":"true"}`},
		{"the string 1 is not the number", spec("num", OpHasValue, "1"),
			`{"message":"wrong value","expectedValue":"1","actualValue":1}`},
		{"the number 1 is not the string", spec("strOne", OpHasValue, 1.0),
			`{"message":"wrong value","expectedValue":1,"actualValue":"1"}`},
		{"1 equals 1.0", spec("num", OpHasValue, 1.0), ""},
		{"a Go int operand equals the decoded number", spec("num", OpHasValue, 1), ""},
		{"null equals null", spec("null", OpHasValue, nil), ""},
		{"null is not false", spec("null", OpHasValue, false),
			`{"message":"wrong value","expectedValue":false,"actualValue":null}`},
		{"a string is not an array holding it", spec("arrOne", OpHasValue, "admin"),
			`{"message":"wrong value","expectedValue":"admin","actualValue":["admin"]}`},
		{"an equal array passes", spec("arr", OpHasValue, []any{"admin", "x"}), ""},
		{"an array in another order fails", spec("arr", OpHasValue, []any{"x", "admin"}),
			`{"message":"wrong value","expectedValue":["x","admin"],"actualValue":["admin","x"]}`},
		{"an equal object passes", spec("obj", OpHasValue, map[string]any{"k": 1.0}), ""},
		{"an object with a string member fails", spec("obj", OpHasValue, map[string]any{"k": "1"}),
			`{"message":"wrong value","expectedValue":{"k":"1"},"actualValue":{"k":1}}`},
		{"a missing claim does not exist", spec("missing", OpHasValue, "x"),
			`{"message":"value does not exist","expectedValue":"x"}`},
		{"a missing claim is not null", spec("missing", OpHasValue, nil),
			`{"message":"value does not exist","expectedValue":null}`},
	})
}

func TestIsTrueAndIsFalse(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"is_true passes on true", spec("bool", OpIsTrue), ""},
		{"is_true fails on false", spec("false", OpIsTrue),
			`{"message":"wrong value","expectedValue":true,"actualValue":false}`},
		{"is_true fails on the string true", spec("strTrue", OpIsTrue),
			`{"message":"wrong value","expectedValue":true,"actualValue":"true"}`},
		{"is_true fails on 1", spec("num", OpIsTrue),
			`{"message":"wrong value","expectedValue":true,"actualValue":1}`},
		{"is_true fails on null", spec("null", OpIsTrue),
			`{"message":"wrong value","expectedValue":true,"actualValue":null}`},
		{"is_true fails on an array holding true", spec("strBools", OpIsTrue),
			`{"message":"wrong value","expectedValue":true,"actualValue":["true"]}`},
		{"is_true fails on an object", spec("obj", OpIsTrue),
			`{"message":"wrong value","expectedValue":true,"actualValue":{"k":1}}`},
		{"is_true on a missing claim does not exist", spec("missing", OpIsTrue),
			`{"message":"value does not exist","expectedValue":true}`},
		{"is_false passes on false", spec("false", OpIsFalse), ""},
		{"is_false fails on 0", spec("zero", OpIsFalse),
			`{"message":"wrong value","expectedValue":false,"actualValue":0}`},
		{"is_false fails on the empty string", spec("empty", OpIsFalse),
			`{"message":"wrong value","expectedValue":false,"actualValue":""}`},
		{"is_false fails on null", spec("null", OpIsFalse),
			`{"message":"wrong value","expectedValue":false,"actualValue":null}`},
		{"is_false on a missing claim does not exist", spec("missing", OpIsFalse),
			`{"message":"value does not exist","expectedValue":false}`},
	})
}

func TestIncludesAndExcludes(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"includes passes when the array holds the value", spec("arr", OpIncludes, "admin"), ""},
		{"includes fails when it does not", spec("arr", OpIncludes, "root"),
			`{"message":"wrong value","expectedToInclude":"root","actualValue":["admin","x"]}`},
		{"includes on a string is not a substring match", spec("str", OpIncludes, "admin"),
			`{"message":"wrong value","expectedToInclude":"admin","actualValue":"admin"}`},
		{"includes compares type-exactly: 1 is not \"1\"", spec("strNums", OpIncludes, 1.0),
			`{"message":"wrong value","expectedToInclude":1,"actualValue":["1"]}`},
		{"includes finds numbers by value", spec("nums", OpIncludes, 1), ""},
		{"includes true is not \"true\"", spec("strBools", OpIncludes, true),
			`{"message":"wrong value","expectedToInclude":true,"actualValue":["true"]}`},
		{"includes finds null in an array", spec("nulls", OpIncludes, nil), ""},
		{"includes finds a nested array", spec("nested", OpIncludes, []any{"x"}), ""},
		{"includes finds a nested object", spec("nested", OpIncludes, map[string]any{"k": 1.0}), ""},
		{"includes on a number fails", spec("num", OpIncludes, 1.0),
			`{"message":"wrong value","expectedToInclude":1,"actualValue":1}`},
		{"includes on null fails", spec("null", OpIncludes, nil),
			`{"message":"wrong value","expectedToInclude":null,"actualValue":null}`},
		{"includes on an object fails", spec("obj", OpIncludes, "k"),
			`{"message":"wrong value","expectedToInclude":"k","actualValue":{"k":1}}`},
		{"includes on a missing claim does not exist", spec("missing", OpIncludes, "admin"),
			`{"message":"value does not exist","expectedToInclude":"admin"}`},
		{"excludes passes when the array lacks the value", spec("arr", OpExcludes, "root"), ""},
		{"excludes fails when the array holds it", spec("arr", OpExcludes, "admin"),
			`{"message":"wrong value","expectedToNotInclude":"admin","actualValue":["admin","x"]}`},
		{"excludes compares type-exactly", spec("strNums", OpExcludes, 1.0), ""},
		{"excludes on a string fails closed", spec("str", OpExcludes, "root"),
			`{"message":"wrong value","expectedToNotInclude":"root","actualValue":"admin"}`},
		{"excludes on a bool fails closed", spec("bool", OpExcludes, "root"),
			`{"message":"wrong value","expectedToNotInclude":"root","actualValue":true}`},
		{"excludes on null fails closed", spec("null", OpExcludes, "root"),
			`{"message":"wrong value","expectedToNotInclude":"root","actualValue":null}`},
		{"excludes on an object fails closed", spec("obj", OpExcludes, "root"),
			`{"message":"wrong value","expectedToNotInclude":"root","actualValue":{"k":1}}`},
		{"excludes on a missing claim does not exist, as in SuperTokens", spec("missing", OpExcludes, "root"),
			`{"message":"value does not exist","expectedToNotInclude":"root"}`},
	})
}

func TestIncludesAllAndExcludesAll(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"includes_all passes when every value is held", spec("arr", OpIncludesAll, "x", "admin"), ""},
		{"includes_all reports the whole list, as SuperTokens does", spec("arr", OpIncludesAll, "admin", "y", "z"),
			`{"message":"wrong value","expectedToInclude":["admin","y","z"],"actualValue":["admin","x"]}`},
		{"includes_all on a string fails", spec("str", OpIncludesAll, "admin"),
			`{"message":"wrong value","expectedToInclude":["admin"],"actualValue":"admin"}`},
		{"includes_all on a missing claim does not exist", spec("missing", OpIncludesAll, "a", "b"),
			`{"message":"value does not exist","expectedToInclude":["a","b"]}`},
		{"excludes_all passes when no value is held", spec("arr", OpExcludesAll, "y", "z"), ""},
		{"excludes_all fails when one value is held", spec("arr", OpExcludesAll, "y", "x"),
			`{"message":"wrong value","expectedToNotInclude":["y","x"],"actualValue":["admin","x"]}`},
		{"excludes_all on a number fails closed", spec("num", OpExcludesAll, 2.0),
			`{"message":"wrong value","expectedToNotInclude":[2],"actualValue":1}`},
		{"excludes_all on a missing claim does not exist", spec("missing", OpExcludesAll, "y"),
			`{"message":"value does not exist","expectedToNotInclude":["y"]}`},
	})
}

func TestExistsAndOneOf(t *testing.T) {
	runValidatorCases(t, []validatorCase{
		{"exists passes on a string", spec("str", OpExists), ""},
		{"exists passes on a number", spec("zero", OpExists), ""},
		{"exists passes on false", spec("false", OpExists), ""},
		{"exists passes on null", spec("null", OpExists), ""},
		{"exists passes on an empty string", spec("empty", OpExists), ""},
		{"exists passes on an array", spec("arr", OpExists), ""},
		{"exists passes on an object", spec("obj", OpExists), ""},
		{"exists on a missing claim reports only the message", spec("missing", OpExists),
			`{"message":"value does not exist"}`},
		{"one_of passes on a listed string", spec("str", OpOneOf, "root", "admin"), ""},
		{"one_of passes on a listed number", spec("num", OpOneOf, 2.0, 1.0), ""},
		{"one_of passes on a listed null", spec("null", OpOneOf, nil), ""},
		{"one_of compares type-exactly", spec("num", OpOneOf, "1", "2"),
			`{"message":"wrong value","expectedToBeOneOf":["1","2"],"actualValue":1}`},
		{"one_of does not look inside arrays", spec("arrOne", OpOneOf, "admin"),
			`{"message":"wrong value","expectedToBeOneOf":["admin"],"actualValue":["admin"]}`},
		{"one_of matches a whole array value", spec("arrOne", OpOneOf, []any{"admin"}), ""},
		{"one_of fails on an unlisted bool", spec("bool", OpOneOf, false),
			`{"message":"wrong value","expectedToBeOneOf":[false],"actualValue":true}`},
		{"one_of on a missing claim does not exist", spec("missing", OpOneOf, "a"),
			`{"message":"value does not exist","expectedToBeOneOf":["a"]}`},
	})
}

func TestValidatorsReadSuperTokensValues(t *testing.T) {
	doc := `{"st-role":{"v":["user"],"t":` + millis(ago(time.Minute)) + `}}`
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{"includes looks inside v", spec("st-role", OpIncludes, "user"), ""},
		{"actualValue is the unwrapped value", spec("st-role", OpIncludes, "admin"),
			`{"message":"wrong value","expectedToInclude":"admin","actualValue":["user"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := mustCompile(t, Options{}, tc.spec)
			want := ""
			if tc.want != "" {
				want = denied("st-role", tc.want)
			}
			if got := evaluate(t, p, identity(t, doc)); got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
		})
	}
}
