package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var (
	_ datasource.DataSource              = (*referrersDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*referrersDataSource)(nil)
)

func newReferrersDataSource() datasource.DataSource { return &referrersDataSource{} }

type referrersDataSource struct {
	data *providerData
}

type referrersModel struct {
	Reference    types.String `tfsdk:"reference"`
	ArtifactType types.String `tfsdk:"artifact_type"`
	Digest       types.String `tfsdk:"digest"`
	Referrers    types.List   `tfsdk:"referrers"`
}

var referrerAttrTypes = map[string]attr.Type{
	"digest":        types.StringType,
	"media_type":    types.StringType,
	"artifact_type": types.StringType,
	"size":          types.Int64Type,
	"annotations":   types.MapType{ElemType: types.StringType},
}

func (d *referrersDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_referrers"
}

func (d *referrersDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the OCI 1.1 referrers of an image: the signatures, SBOMs, provenance and other " +
			"attestations whose manifest names the image as its `subject`. They are read from the registry's referrers API " +
			"(`GET /v2/<name>/referrers/<digest>`, every page); a registry that answers that with `404` (Docker Hub, GHCR and " +
			"GitLab do) has no such API, and the referrers are read from the fallback tag `sha256-<hex>` instead, as the OCI " +
			"distribution specification 1.1 describes (the provider remembers for the run which registries have no API). " +
			"Each referrer's manifest is read to tell what it is, by digest, so only once while `cache_dir` keeps it. Use " +
			"`imageinfo_signature` to require a verified signature before you pin.",
		Attributes: map[string]schema.Attribute{
			"reference": schema.StringAttribute{
				MarkdownDescription: "The image, as `imageinfo_manifest` accepts it: `ghcr.io/o/app:1.2`, `nginx`, " +
					"`registry.example.com/team/app@sha256:…`. Its referrers are those of the manifest it resolves to (the index, " +
					"for a multi-platform tag).",
				Required:   true,
				Validators: []validator.String{validators.Reference()},
			},
			"artifact_type": schema.StringAttribute{
				MarkdownDescription: "Keep only the referrers of this artifact type, e.g. " +
					"`application/vnd.dev.sigstore.bundle.v0.3+json` (cosign v3 signatures and attestations), " +
					"`application/spdx+json` or `application/vnd.cyclonedx+json` (SBOMs). Asked of the registry as the API's " +
					"`artifactType` filter, and applied again to what it answers. Unset by default: every referrer is listed.",
				Optional: true,
			},
			"digest": schema.StringAttribute{
				MarkdownDescription: "Digest of the manifest `reference` resolves to: the subject whose referrers are listed.",
				Computed:            true,
			},
			"referrers": schema.ListNestedAttribute{
				MarkdownDescription: "The referrers, in the order the registry lists them; an empty list when there are none.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"digest": schema.StringAttribute{
							MarkdownDescription: "Digest of the referrer's manifest.",
							Computed:            true,
						},
						"media_type": schema.StringAttribute{
							MarkdownDescription: "Media type of the referrer's manifest, usually `application/vnd.oci.image.manifest.v1+json`.",
							Computed:            true,
						},
						"artifact_type": schema.StringAttribute{
							MarkdownDescription: "What the referrer is: its manifest's `artifactType`, else the type the registry's " +
								"list gives, else the manifest's config media type. The manifest's own word wins, since some " +
								"registries list the config media type instead. Null when none of them says.",
							Computed: true,
						},
						"size": schema.Int64Attribute{
							MarkdownDescription: "Size of the referrer's manifest in bytes.",
							Computed:            true,
						},
						"annotations": schema.MapAttribute{
							MarkdownDescription: "The referrer manifest's annotations, e.g. `org.opencontainers.image.created`; " +
								"empty when it has none.",
							ElementType: types.StringType,
							Computed:    true,
						},
					},
				},
			},
		},
	}
}

func (d *referrersDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *referrersDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m referrersModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ref, ok := referenceArgument(m.Reference.ValueString(), &resp.Diagnostics)
	if !ok {
		return
	}
	if !d.data.ready(&resp.Diagnostics) {
		return
	}
	ctx, cancel, limits := d.data.begin(ctx)
	defer cancel()
	tflog.Debug(ctx, "listing referrers", map[string]any{"reference": ref.String(), "artifact_type": m.ArtifactType.ValueString()})

	got, err := d.data.client.Referrers(ctx, ref, m.ArtifactType.ValueString())
	resp.Diagnostics.Append(rateLimitWarnings(limits)...)
	if err != nil {
		resp.Diagnostics.Append(registryDiagnostic(err))
		return
	}
	tflog.Debug(ctx, "referrers listed", map[string]any{"digest": got.Subject.Digest, "count": len(got.Referrers), "fallback_tag": got.FromTag})
	m.Digest = types.StringValue(got.Subject.Digest)
	var diags diag.Diagnostics
	m.Referrers, diags = referrerList(ctx, got.Referrers)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func referrerList(ctx context.Context, referrers []registry.Referrer) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	values := make([]attr.Value, 0, len(referrers))
	for _, r := range referrers {
		annotations, d := stringMap(ctx, r.Annotations)
		diags.Append(d...)
		obj, d := types.ObjectValue(referrerAttrTypes, map[string]attr.Value{
			"digest":        types.StringValue(r.Digest),
			"media_type":    types.StringValue(r.MediaType),
			"artifact_type": optionalString(r.ArtifactType),
			"size":          types.Int64Value(r.Size),
			"annotations":   annotations,
		})
		diags.Append(d...)
		values = append(values, obj)
	}
	list, d := types.ListValue(types.ObjectType{AttrTypes: referrerAttrTypes}, values)
	diags.Append(d...)
	return list, diags
}
