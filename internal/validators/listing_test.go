package validators

import (
	"strings"
	"testing"
)

// TestListingValidators covers the validators of imageinfo_tags and of
// imageinfo_manifest's platform the way TestValidators does the others.
func TestListingValidators(t *testing.T) {
	checkValidators(t, []validatorCase{
		{"repository", Repository(), []string{"nginx", "ghcr.io/o/app", "localhost:5000/a/b"},
			map[string]string{"nginx:1.27": "Invalid Repository: \"nginx:1.27\" has a tag", "ghcr.io/o/app@sha256:" + strings.Repeat("a", 64): "has a digest", "Nginx": "lower case"}},
		{"platform", Platform(), []string{"linux/amd64", "linux/arm64/v8", "windows/amd64"},
			map[string]string{"linux": "Invalid Platform: Platform \"linux\" is not os/arch[/variant]", "linux/arm/v7/x": "not os/arch", "": "empty"}},
		{"regexp", Regexp(), []string{`^v\d+\.\d+$`, "alpine", ""},
			map[string]string{"(": "Invalid Regular Expression", `(?!x)`: "RE2"}},
		{"semver", SemverConstraint(), []string{">= 1.25, < 2", "~1.27", "^3"},
			map[string]string{"newest": "Invalid Version Constraint", "": "empty"}},
	})
}
