package caddymodule

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// The README says which modules `caddy list-modules | grep authgate` shows;
// the list must be the modules this package registers, so that it cannot
// drift again (it once said two when there were three).
func TestReadmeListsTheRegisteredModules(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Join(strings.Fields(string(readme)), " ")
	sentence := regexp.MustCompile("`\\./caddy list-modules \\| grep authgate` shows the (\\w+) modules (.*?) \\(").FindStringSubmatch(text)
	if sentence == nil {
		t.Fatal("README no longer says what `./caddy list-modules | grep authgate` shows")
	}
	var listed []string
	for _, m := range regexp.MustCompile("`([a-z0-9_.]+)`").FindAllStringSubmatch(sentence[2], -1) {
		listed = append(listed, m[1])
	}
	var registered []string
	for _, id := range caddy.Modules() {
		if strings.Contains(id, "authgate") {
			registered = append(registered, id)
		}
	}
	slices.Sort(listed)
	if !slices.Equal(listed, registered) {
		t.Fatalf("README lists %v, the binary registers %v", listed, registered)
	}
	words := []string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	if n := len(registered); n >= len(words) || sentence[1] != words[n] {
		t.Fatalf("README says %q modules, there are %d", sentence[1], n)
	}
}
