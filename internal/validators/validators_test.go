package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

func run(v validator.String, value types.String) []string {
	resp := &validator.StringResponse{}
	v.ValidateString(context.Background(), validator.StringRequest{Path: path.Root("x"), ConfigValue: value}, resp)
	var out []string
	for _, d := range resp.Diagnostics {
		out = append(out, d.Summary()+": "+d.Detail())
	}
	return out
}

// TestValidators checks that each validator accepts good values, rejects bad
// ones with a message naming the problem, and leaves unknown and null values
// for later.
func TestValidators(t *testing.T) {
	checkValidators(t, []validatorCase{
		{"reference", Reference(), []string{"nginx", "ghcr.io/o/a:1", "localhost:5000/a@sha256:" + strings.Repeat("a", 64)},
			map[string]string{"Nginx": "Invalid Image Reference: Reference \"Nginx\"", "a@sha256:1": "invalid digest"}},
		{"address", RegistryAddress(), []string{"ghcr.io", "https://index.docker.io/v1/", "localhost:5000"},
			map[string]string{"ghcr.io/org": "includes the path", "": "empty"}},
		{"digest", Digest(), []string{"sha256:" + strings.Repeat("0", 64)},
			map[string]string{"sha256:00": "Invalid digest \"sha256:00\"", "latest": "Invalid digest \"latest\""}},
		{"duration", PositiveDuration(), []string{"60s", "2m", "1h30m"},
			map[string]string{"60": "not a duration", "-1s": "not a positive duration", "0s": "not a positive"}},
		{"pem", CertificatesPEM(), nil,
			map[string]string{"hello": "No PEM-encoded certificate", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n": "type \"PRIVATE KEY\""}},
	})
}

// validatorCase is one validator with values it must accept and values it
// must reject with a diagnostic containing the given text.
type validatorCase struct {
	name string
	v    validator.String
	good []string
	bad  map[string]string
}

// checkValidators checks each case, and that unknown and null values are
// left for later.
func checkValidators(t *testing.T, tests []validatorCase) {
	t.Helper()
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
