package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// TestReferenceMap: every invalid value is an error whose text names its key
// and value, at the key's path; unknown values (and an unknown map) wait.
func TestReferenceMap(t *testing.T) {
	value := types.MapValueMust(types.StringType, map[string]attr.Value{
		"web":     types.StringValue("nginx:1.27"),
		"broken":  types.StringValue("Nginx"),
		"worse":   types.StringValue("https://ghcr.io/o/a"),
		"later":   types.StringUnknown(),
		"missing": types.StringNull(),
	})
	resp := &validator.MapResponse{}
	ReferenceMap().ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("references"), ConfigValue: value}, resp)
	var got []string
	for _, d := range resp.Diagnostics {
		got = append(got, d.Summary()+": "+d.Detail())
	}
	want := []string{
		`Invalid Image Reference: Key "broken": "Nginx" is not an image reference`,
		`Invalid Image Reference: Key "missing" has no reference (null)`,
		`Invalid Image Reference: Key "worse": "https://ghcr.io/o/a" is not an image reference`,
	}
	if len(got) != len(want) {
		t.Fatalf("diagnostics:\n%s\nwant %d, in key order", strings.Join(got, "\n"), len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("diagnostic %d: %q, want it to start with %q", i, got[i], want[i])
		}
	}
	unknown := &validator.MapResponse{}
	ReferenceMap().ValidateMap(context.Background(), validator.MapRequest{Path: path.Root("references"), ConfigValue: types.MapUnknown(types.StringType)}, unknown)
	if unknown.Diagnostics.HasError() {
		t.Errorf("an unknown map: %v", unknown.Diagnostics)
	}
}
