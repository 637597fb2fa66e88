package provider

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// TestParseReferenceFunction: the same normalisation as the data source,
// with null for absent tag and digest; errors on argument 0 say what is wrong.
func TestParseReferenceFunction(t *testing.T) {
	obj := func(registry, repository, tag, digest string) attr.Value {
		return types.ObjectValueMust(referenceAttrTypes, map[string]attr.Value{
			"registry": types.StringValue(registry), "repository": types.StringValue(repository),
			"tag": optionalString(tag), "digest": optionalString(digest), "name": types.StringValue(registry + "/" + repository),
		})
	}
	tests := []struct {
		in   string
		want attr.Value
	}{
		{"nginx", obj("docker.io", "library/nginx", "latest", "")},
		{"index.docker.io/library/nginx:1.27", obj("docker.io", "library/nginx", "1.27", "")},
		{"ghcr.io/o/app@" + fnDigest, obj("ghcr.io", "o/app", "", fnDigest)},
		{"localhost:5000/a/b:v1@" + fnDigest, obj("localhost:5000", "a/b", "v1", fnDigest)},
	}
	for _, tt := range tests {
		got, err := runFunction(t, newParseReferenceFunction(), types.ObjectUnknown(referenceAttrTypes), tt.in)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parse_reference(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for in, want := range map[string]string{"Nginx": "lower case", "": "Reference is empty", "nginx@sha256:1": "invalid digest"} {
		_, err := runFunction(t, newParseReferenceFunction(), types.ObjectUnknown(referenceAttrTypes), in)
		if err == nil || err.FunctionArgument == nil || *err.FunctionArgument != 0 || !strings.Contains(err.Text, want) {
			t.Errorf("parse_reference(%q) error = %v, want one on argument 0 containing %q", in, err, want)
		}
	}
}

// TestParseReferenceFunctionThroughTerraform: known, unknown, null and
// invalid arguments, as Terraform passes them.
func TestParseReferenceFunctionThroughTerraform(t *testing.T) {
	resource.UnitTest(t, resource.TestCase{
		TerraformVersionChecks:   functionsFrom18,
		ProtoV6ProviderFactories: testAccProviders,
		Steps: []resource.TestStep{
			{
				Config:      `output "x" { value = provider::imageinfo::parse_reference(null) }`,
				ExpectError: regexp.MustCompile(`(?s)Invalid function argument.*must not be null`),
			},
			{
				Config:      `output "x" { value = provider::imageinfo::parse_reference("Nginx:1") }`,
				ExpectError: wrapped(`Invalid function argument.*Reference "Nginx:1": invalid repository name "library/Nginx": repository names must be lower case`),
			},
			{
				Config: `
output "nginx" {
  value = provider::imageinfo::parse_reference("nginx")
}
output "by_digest" {
  value = provider::imageinfo::parse_reference("ghcr.io/o/app@` + fnDigest + `")
}
`,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("nginx", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"registry": knownvalue.StringExact("docker.io"), "repository": knownvalue.StringExact("library/nginx"),
						"tag": knownvalue.StringExact("latest"), "digest": knownvalue.Null(), "name": knownvalue.StringExact("docker.io/library/nginx"),
					})),
					statecheck.ExpectKnownOutputValue("by_digest", knownvalue.ObjectExact(map[string]knownvalue.Check{
						"registry": knownvalue.StringExact("ghcr.io"), "repository": knownvalue.StringExact("o/app"),
						"tag": knownvalue.Null(), "digest": knownvalue.StringExact(fnDigest), "name": knownvalue.StringExact("ghcr.io/o/app"),
					})),
				},
			},
			{
				// Unknown until apply: unknown in the plan, then computed.
				Config: `
resource "terraform_data" "ref" {
  input = "ghcr.io/o/app:v2"
}
output "later" {
  value = provider::imageinfo::parse_reference(terraform_data.ref.output).tag
}
`,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectUnknownOutputValue("later")}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownOutputValue("later", knownvalue.StringExact("v2")),
				},
			},
		},
	})
}
