package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var (
	_ datasource.DataSource              = (*manifestDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*manifestDataSource)(nil)
)

func newManifestDataSource() datasource.DataSource { return &manifestDataSource{} }

type manifestDataSource struct {
	data *providerData
}

type manifestModel struct {
	Reference       types.String `tfsdk:"reference"`
	Registry        types.String `tfsdk:"registry"`
	Repository      types.String `tfsdk:"repository"`
	Tag             types.String `tfsdk:"tag"`
	Digest          types.String `tfsdk:"digest"`
	MediaType       types.String `tfsdk:"media_type"`
	Size            types.Int64  `tfsdk:"size"`
	PinnedReference types.String `tfsdk:"pinned_reference"`
	ManifestJSON    types.String `tfsdk:"manifest_json"`
	Annotations     types.Map    `tfsdk:"annotations"`
}

func (d *manifestDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_manifest"
}

func (d *manifestDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resolves an image reference to the digest of the manifest it points to, as `docker pull` " +
			"would resolve it, and describes that manifest. Pin `pinned_reference` in deployments so that they run " +
			"exactly the content planned; a tag that moves shows up as a change in the plan.",
		Attributes: map[string]schema.Attribute{
			"reference": schema.StringAttribute{
				MarkdownDescription: "Any reference `docker pull` accepts: `nginx`, `nginx:1.27`, `ghcr.io/o/app@sha256:…`, " +
					"`registry.example.com:5000/team/app:v1`, or `name:tag@sha256:…` (the digest decides what is fetched, as in Docker). " +
					"A name without a registry is on Docker Hub; a single-part Docker Hub name is under `library/`.",
				Required:   true,
				Validators: []validator.String{validators.Reference()},
			},
			"registry": schema.StringAttribute{
				MarkdownDescription: "Canonical registry host[:port]: `docker.io` for Docker Hub.",
				Computed:            true,
			},
			"repository": schema.StringAttribute{
				MarkdownDescription: "Canonical repository path, e.g. `library/nginx` for `nginx`.",
				Computed:            true,
			},
			"tag": schema.StringAttribute{
				MarkdownDescription: "The tag: as given, or `latest` when the reference has neither tag nor digest; null for a reference by digest alone.",
				Computed:            true,
			},
			"digest": schema.StringAttribute{
				MarkdownDescription: "Digest (`sha256:…`) of the manifest the reference points to: the index, for a multi-platform tag. " +
					"Checked against the bytes served. This is what you pin.",
				Computed: true,
			},
			"media_type": schema.StringAttribute{
				MarkdownDescription: "Media type of that manifest: an OCI image index or manifest, or a Docker manifest list or schema 2 manifest.",
				Computed:            true,
			},
			"size": schema.Int64Attribute{
				MarkdownDescription: "Size of that manifest in bytes.",
				Computed:            true,
			},
			"pinned_reference": schema.StringAttribute{
				MarkdownDescription: "`<registry>/<repository>@<digest>`, e.g. `docker.io/library/nginx@sha256:…`: the reference that always means this content.",
				Computed:            true,
			},
			"manifest_json": schema.StringAttribute{
				MarkdownDescription: "The manifest exactly as served, for `jsondecode`.",
				Computed:            true,
			},
			"annotations": schema.MapAttribute{
				MarkdownDescription: "The manifest's annotations; empty when it has none.",
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
	}
}

func (d *manifestDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *manifestDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m manifestModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ref, err := imageref.Parse(m.Reference.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("reference"), "Invalid Image Reference", err.Error()+".")
		return
	}
	if !d.data.ready(&resp.Diagnostics) {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, d.data.timeout)
	defer cancel()
	tflog.Debug(ctx, "resolving image reference", map[string]any{"reference": ref.String()})

	manifest, err := d.data.client.Manifest(ctx, ref)
	if err != nil {
		resp.Diagnostics.Append(registryDiagnostic(err))
		return
	}

	m.Registry = types.StringValue(ref.Registry)
	m.Repository = types.StringValue(ref.Repository)
	m.Tag = optionalString(ref.Tag)
	m.Digest = types.StringValue(manifest.Digest)
	m.MediaType = types.StringValue(manifest.MediaType)
	m.Size = types.Int64Value(manifest.Size)
	m.PinnedReference = types.StringValue(ref.Pin(manifest.Digest))
	m.ManifestJSON = types.StringValue(string(manifest.Raw))
	annotations, diags := stringMap(ctx, manifest.Annotations)
	resp.Diagnostics.Append(diags...)
	m.Annotations = annotations
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// configuredData takes the provider's data in a data source's Configure.
func configuredData(pd any, diags interface{ AddError(string, string) }) *providerData {
	if pd == nil {
		// Terraform validates data sources before the provider is configured.
		return nil
	}
	data, ok := pd.(*providerData)
	if !ok {
		diags.AddError("Unexpected Provider Data", fmt.Sprintf("Expected *providerData, got %T. This is a bug in the provider: please report it.", pd))
		return nil
	}
	return data
}

// ready reports whether the provider configuration can serve a read, and
// says why not otherwise.
func (p *providerData) ready(diags interface{ AddError(string, string) }) bool {
	if p == nil {
		diags.AddError("Provider Not Configured",
			"The imageinfo provider was not configured before this data source was read. This is a bug in the provider: please report it.")
		return false
	}
	if len(p.unknown) > 0 {
		diags.AddError("Provider Configuration Not Known Yet",
			fmt.Sprintf("The provider settings %v depend on values that are only known after apply, but this data source is "+
				"read during plan. Give them values known at plan time (variables, literals or data sources), or apply the "+
				"resources they depend on first with -target.", p.unknown))
		return false
	}
	return true
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
