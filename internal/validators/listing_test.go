package validators

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestListingValidators covers the validators of imageinfo_tags and of
// imageinfo_manifest's platform the way TestValidators does the others.
func TestListingValidators(t *testing.T) {
	tests := []struct {
		name string
		v    validator.String
		good []string
		bad  map[string]string
	}{
		{"repository", Repository(), []string{"nginx", "ghcr.io/o/app", "localhost:5000/a/b"},
			map[string]string{"nginx:1.27": "Invalid Repository: \"nginx:1.27\" has a tag", "ghcr.io/o/app@sha256:" + strings.Repeat("a", 64): "has a digest", "Nginx": "lower case"}},
		{"platform", Platform(), []string{"linux/amd64", "linux/arm64/v8", "windows/amd64"},
			map[string]string{"linux": "Invalid Platform: Platform \"linux\" is not os/arch[/variant]", "linux/arm/v7/x": "not os/arch", "": "empty"}},
		{"regexp", Regexp(), []string{`^v\d+\.\d+$`, "alpine", ""},
			map[string]string{"(": "Invalid Regular Expression", `(?!x)`: "RE2"}},
		{"semver", SemverConstraint(), []string{">= 1.25, < 2", "~1.27", "^3"},
			map[string]string{"newest": "Invalid Version Constraint", "": "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, g := range tt.good {
				if d := run(tt.v, types.StringValue(g)); len(d) > 0 {
					t.Errorf("%q rejected: %v", g, d)
				}
			}
			for b, want := range tt.bad {
				d := run(tt.v, types.StringValue(b))
				if len(d) != 1 || !strings.Contains(d[0], want) {
					t.Errorf("%q: got %v, want one diagnostic containing %q", b, d, want)
				}
			}
			if d := run(tt.v, types.StringUnknown()); len(d) > 0 {
				t.Errorf("unknown value rejected: %v", d)
			}
			if d := run(tt.v, types.StringNull()); len(d) > 0 {
				t.Errorf("null value rejected: %v", d)
			}
		})
	}
}
