package provider

import (
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// TestPinFunction: both arguments are checked, and the error names the one
// at fault; a reference's own digest must agree.
func TestPinFunction(t *testing.T) {
	tests := []struct {
		ref, digest, want string
	}{
		{"nginx:1.27", fnDigest, "docker.io/library/nginx@" + fnDigest},
		{"ghcr.io/o/app", fnDigest, "ghcr.io/o/app@" + fnDigest},
		{"docker.io/library/nginx@" + fnDigest, fnDigest, "docker.io/library/nginx@" + fnDigest},
		{"host:5000/a/b:v1@" + fnDigest, fnDigest, "host:5000/a/b@" + fnDigest},
	}
	for _, tt := range tests {
		got, err := runFunction(t, newPinFunction(), types.StringUnknown(), tt.ref, tt.digest)
		if err != nil || !got.Equal(types.StringValue(tt.want)) {
			t.Errorf("pin(%q, %q) = %v, %v; want %q", tt.ref, tt.digest, got, err, tt.want)
		}
	}
	bad := []struct {
		ref, digest string
		argument    int64
		want        string
	}{
		{"Nginx", fnDigest, 0, "lower case"},
		{"nginx", "latest", 1, `Invalid digest "latest"`},
		{"nginx", "sha256:ABC", 1, `Invalid digest "sha256:ABC"`},
		{"nginx", fnDigest384, 1, "algorithm sha384 is not"},
		{"nginx@" + fnDigest384, fnDigest, 0, "algorithm sha384 is not"},
		{"nginx@" + fnDigest, fnDigest2, 1, "already pins " + fnDigest + ", not " + fnDigest2},
	}
	for _, tt := range bad {
		_, err := runFunction(t, newPinFunction(), types.StringUnknown(), tt.ref, tt.digest)
		if err == nil || err.FunctionArgument == nil || *err.FunctionArgument != tt.argument || !strings.Contains(err.Text, tt.want) {
			t.Errorf("pin(%q, %q) error = %v, want one on argument %d containing %q", tt.ref, tt.digest, err, tt.argument, tt.want)
		}
	}
}

// TestPinFunctionThroughTerraform: known, unknown, null and invalid
// arguments, as Terraform passes them.
func TestPinFunctionThroughTerraform(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionsFrom18,
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      `output "x" { value = provider::imageinfo::pin("nginx", null) }`,
				ExpectError: wrapped(`Invalid function argument.*must not be null`),
			},
			{
				Config:      `output "x" { value = provider::imageinfo::pin("nginx", "sha256:1234") }`,
				ExpectError: wrapped(`Invalid function argument.*Invalid digest "sha256:1234"`),
			},
			{
				// go-digest knows sha384; OCI registries do not.
				Config:      `output "x" { value = provider::imageinfo::pin("nginx", "` + fnDigest384 + `") }`,
				ExpectError: wrapped(`Invalid function argument.*algorithm sha384 is not`),
			},
			{
				Config:      `output "x" { value = provider::imageinfo::pin("nginx@` + fnDigest + `", "` + fnDigest2 + `") }`,
				ExpectError: wrapped(`Invalid function argument.*already pins`),
			},
			{
				Config: `
output "pin" {
  value = provider::imageinfo::pin("nginx:1.27", "` + fnDigest + `")
}
output "repin" {
  value = provider::imageinfo::pin(provider::imageinfo::pin("nginx:1.27", "` + fnDigest + `"), "` + fnDigest + `")
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("pin", knownvalue.StringExact("docker.io/library/nginx@"+fnDigest)),
					statecheck.ExpectKnownOutputValue("repin", knownvalue.StringExact("docker.io/library/nginx@"+fnDigest)),
				},
			},
			{
				Config: `
resource "terraform_data" "ref" {
  input = "ghcr.io/o/app:v2"
}
output "later" {
  value = provider::imageinfo::pin(terraform_data.ref.output, "` + fnDigest + `")
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectUnknownOutputValue("later")}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("later", knownvalue.StringExact("ghcr.io/o/app@"+fnDigest)),
				},
			},
		},
	})
}
