package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var _ function.Function = (*parseReferenceFunction)(nil)

func newParseReferenceFunction() function.Function { return &parseReferenceFunction{} }

// parseReferenceFunction is provider::imageinfo::parse_reference.
type parseReferenceFunction struct{}

var referenceAttrTypes = map[string]attr.Type{
	"registry":   types.StringType,
	"repository": types.StringType,
	"tag":        types.StringType,
	"digest":     types.StringType,
	"name":       types.StringType,
}

func (f *parseReferenceFunction) Metadata(_ context.Context, _ function.MetadataRequest, resp *function.MetadataResponse) {
	resp.Name = "parse_reference"
}

func (f *parseReferenceFunction) Definition(_ context.Context, _ function.DefinitionRequest, resp *function.DefinitionResponse) {
	resp.Definition = function.Definition{
		Summary: "Split an image reference into registry, repository, tag and digest.",
		MarkdownDescription: "Parses an image reference as `docker pull` does and returns its parts, normalised exactly as " +
			"the `imageinfo_manifest` data source normalises them: Docker Hub is `docker.io` (also for `index.docker.io` " +
			"and `registry-1.docker.io`), a single-part Docker Hub name is under `library/`, registry hosts are lower-cased, " +
			"and `tag` is `latest` when neither tag nor digest is given. The function does no network I/O: it says what a " +
			"reference means, not whether it exists.\n\n" +
			"The result is an object: `registry` (e.g. `docker.io`), `repository` (e.g. `library/nginx`), `tag` (null for " +
			"a reference by digest alone), `digest` (null when none is given) and `name` (`<registry>/<repository>`). " +
			"An invalid reference is an error that says what is wrong with it.",
		Parameters: []function.Parameter{
			function.StringParameter{
				Name: "reference",
				MarkdownDescription: "An image reference: `nginx`, `nginx:1.27`, `ghcr.io/o/app@sha256:…`, " +
					"`registry.example.com:5000/team/app:v1` or `name:tag@sha256:…`.",
			},
		},
		Return: function.ObjectReturn{AttributeTypes: referenceAttrTypes},
	}
}

func (f *parseReferenceFunction) Run(ctx context.Context, req function.RunRequest, resp *function.RunResponse) {
	var s string
	resp.Error = req.Arguments.Get(ctx, &s)
	if resp.Error != nil {
		return
	}
	ref, err := imageref.Parse(s)
	if err != nil {
		resp.Error = function.NewArgumentFuncError(0, validators.Capitalize(err.Error())+".")
		return
	}
	obj, diags := types.ObjectValue(referenceAttrTypes, map[string]attr.Value{
		"registry":   types.StringValue(ref.Registry),
		"repository": types.StringValue(ref.Repository),
		"tag":        optionalString(ref.Tag),
		"digest":     optionalString(ref.Digest),
		"name":       types.StringValue(ref.Name()),
	})
	if diags.HasError() {
		resp.Error = function.FuncErrorFromDiags(ctx, diags)
		return
	}
	resp.Error = resp.Result.Set(ctx, obj)
}

// The provider serves functions (Terraform >= 1.8).
var _ provider.ProviderWithFunctions = (*imageinfoProvider)(nil)
