package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
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

// The object types of manifests, their platform, and layers.
var (
	platformAttrTypes = map[string]attr.Type{
		"os":           types.StringType,
		"architecture": types.StringType,
		"variant":      types.StringType,
		"os_version":   types.StringType,
	}
	manifestEntryAttrTypes = map[string]attr.Type{
		"digest":      types.StringType,
		"media_type":  types.StringType,
		"size":        types.Int64Type,
		"platform":    types.ObjectType{AttrTypes: platformAttrTypes},
		"annotations": types.MapType{ElemType: types.StringType},
	}
	layerAttrTypes = map[string]attr.Type{
		"digest":      types.StringType,
		"media_type":  types.StringType,
		"size":        types.Int64Type,
		"annotations": types.MapType{ElemType: types.StringType},
	}
	// manifestAttrTypes are the attributes of imageinfo_manifest, as its
	// schema declares them (TestManifestAttrTypes holds the two equal).
	manifestAttrTypes = map[string]attr.Type{
		"reference":         types.StringType,
		"platform":          types.StringType,
		"registry":          types.StringType,
		"repository":        types.StringType,
		"tag":               types.StringType,
		"digest":            types.StringType,
		"media_type":        types.StringType,
		"size":              types.Int64Type,
		"pinned_reference":  types.StringType,
		"manifest_json":     types.StringType,
		"annotations":       types.MapType{ElemType: types.StringType},
		"artifact_type":     types.StringType,
		"subject_digest":    types.StringType,
		"manifests":         types.ListType{ElemType: types.ObjectType{AttrTypes: manifestEntryAttrTypes}},
		"image_digest":      types.StringType,
		"image_media_type":  types.StringType,
		"config_digest":     types.StringType,
		"config_media_type": types.StringType,
		"layers":            types.ListType{ElemType: types.ObjectType{AttrTypes: layerAttrTypes}},
		"os":                types.StringType,
		"architecture":      types.StringType,
		"variant":           types.StringType,
		"created":           types.StringType,
		"labels":            types.MapType{ElemType: types.StringType},
	}
	manifestType      = objectType(manifestAttrTypes)
	manifestEntryType = objectType(manifestEntryAttrTypes)
	platformType      = objectType(platformAttrTypes)
	layerType         = objectType(layerAttrTypes)
)

func (d *manifestDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_manifest"
}

func (d *manifestDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resolves an image reference to the digest of the manifest it points to, as `docker pull` " +
			"would resolve it, and describes that manifest. Pin `pinned_reference` in deployments so that they run " +
			"exactly the content planned; a tag that moves shows up as a change in the plan.\n\n" +
			"Every kind of manifest is read: OCI image manifests and indexes, Docker schema 2 manifests and manifest lists, " +
			"OCI artifacts (`artifact_type`, `subject_digest`) and indexes nested in indexes. For a single image, the " +
			"image's config is read too (`os`, `architecture`, `created`, `labels`); for a multi-platform index, `manifests` " +
			"lists its entries, and `platform` chooses one image, which is then fetched and described the same way. Every " +
			"manifest and config is checked against its digest. Docker schema 1 manifests, and documents that are both an " +
			"index and an image, are refused with an error that says so.",
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
			"platform": schema.StringAttribute{
				MarkdownDescription: "The platform to choose from a multi-platform image, as `os/arch[/variant]`: `linux/amd64`, " +
					"`linux/arm64`, `linux/arm/v7`, `windows/amd64`. Matched as containerd matches it: `os` and `architecture` " +
					"exactly after normalisation (`x86_64` is `amd64`, `aarch64` is `arm64`), and the variant, where an omitted one " +
					"means the architecture's baseline: `arm64` is `arm64/v8`, `arm` is `arm/v7`, `amd64` is `amd64/v1` (so " +
					"`amd64/v3` is chosen only when asked for). Attestation entries (`unknown/unknown`) are never chosen, nor " +
					"entries that state no platform; nested indexes are searched, and the first entry that matches, in index " +
					"order, wins. When no entry matches, the error lists the platforms the index offers. For a reference to a " +
					"single image, the image's own platform (from its config) must match, else it is an error that says what the " +
					"image is. `digest` stays the digest of what the reference points to; the chosen image is `image_digest`. " +
					"Unset by default: an index is then described without choosing an image.",
				Optional:   true,
				Validators: []validator.String{validators.Platform()},
			},
			"artifact_type": schema.StringAttribute{
				MarkdownDescription: "The manifest's `artifactType` (OCI 1.1), e.g. `application/vnd.dev.sigstore.bundle.v0.3+json` " +
					"for a signature; null when the manifest has none, as images do.",
				Computed: true,
			},
			"subject_digest": schema.StringAttribute{
				MarkdownDescription: "Digest of the manifest's `subject` (OCI 1.1): the image that an artifact such as a signature, " +
					"SBOM or attestation refers to; null when the manifest has no subject.",
				Computed: true,
			},
			"manifests": schema.ListNestedAttribute{
				MarkdownDescription: "Every entry of an index (OCI image index or Docker manifest list), in the order the index lists " +
					"them, attestation entries included; an empty list for an image manifest.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"digest": schema.StringAttribute{
							MarkdownDescription: "Digest of the entry's manifest.",
							Computed:            true,
						},
						"media_type": schema.StringAttribute{
							MarkdownDescription: "Media type of the entry's manifest: an image manifest, or an index for a nested index.",
							Computed:            true,
						},
						"size": schema.Int64Attribute{
							MarkdownDescription: "Size of the entry's manifest in bytes.",
							Computed:            true,
						},
						"platform": schema.SingleNestedAttribute{
							MarkdownDescription: "The platform the index states for the entry. Always an object, so that " +
								"`m.platform.os` works in a `for` expression; its attributes are null where the entry does not " +
								"state them, all of them when it states no platform. Attestation entries say `unknown`/`unknown`.",
							Computed: true,
							Attributes: map[string]schema.Attribute{
								"os": schema.StringAttribute{
									MarkdownDescription: "Operating system, e.g. `linux` or `windows`, as the index writes it.",
									Computed:            true,
								},
								"architecture": schema.StringAttribute{
									MarkdownDescription: "CPU architecture, e.g. `amd64` or `arm64`, as the index writes it.",
									Computed:            true,
								},
								"variant": schema.StringAttribute{
									MarkdownDescription: "CPU variant, e.g. `v8` or `v7`; null when not stated.",
									Computed:            true,
								},
								"os_version": schema.StringAttribute{
									MarkdownDescription: "Operating system version (`os.version`), stated by Windows images, e.g. " +
										"`10.0.20348.2340`; null when not stated.",
									Computed: true,
								},
							},
						},
						"annotations": schema.MapAttribute{
							MarkdownDescription: "The entry's annotations; empty when it has none.",
							ElementType:         types.StringType,
							Computed:            true,
						},
					},
				},
			},
			"image_digest": schema.StringAttribute{
				MarkdownDescription: "Digest of the single-platform image manifest: `digest` itself when the reference points to an " +
					"image; the entry chosen by `platform` for an index, checked against the bytes served; null for an index " +
					"when `platform` is not set. Pin `<registry>/<repository>@<image_digest>` where a runtime must get exactly " +
					"one platform's image (some ECS and Lambda setups).",
				Computed: true,
			},
			"image_media_type": schema.StringAttribute{
				MarkdownDescription: "Media type of that image manifest; null when there is no single image (an index without `platform`).",
				Computed:            true,
			},
			"config_digest": schema.StringAttribute{
				MarkdownDescription: "Digest of that image's config blob (the image ID Docker shows); null when there is no single image.",
				Computed:            true,
			},
			"config_media_type": schema.StringAttribute{
				MarkdownDescription: "Media type of that image's config: `application/vnd.oci.image.config.v1+json` or " +
					"`application/vnd.docker.container.image.v1+json` for images; something else for artifacts, e.g. " +
					"`application/vnd.oci.empty.v1+json`. Null when there is no single image.",
				Computed: true,
			},
			"layers": schema.ListNestedAttribute{
				MarkdownDescription: "The layers of that image, in order (for an artifact, its blobs); an empty list when there is " +
					"no single image.",
				Computed: true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"digest": schema.StringAttribute{
							MarkdownDescription: "Digest of the layer blob.",
							Computed:            true,
						},
						"media_type": schema.StringAttribute{
							MarkdownDescription: "Media type of the layer, e.g. `application/vnd.oci.image.layer.v1.tar+gzip`.",
							Computed:            true,
						},
						"size": schema.Int64Attribute{
							MarkdownDescription: "Size of the layer blob in bytes (compressed, as stored).",
							Computed:            true,
						},
						"annotations": schema.MapAttribute{
							MarkdownDescription: "The layer's annotations; empty when it has none.",
							ElementType:         types.StringType,
							Computed:            true,
						},
					},
				},
			},
			"os": schema.StringAttribute{
				MarkdownDescription: "Operating system of that image, from its config, e.g. `linux`. Null when there is no single " +
					"image, or when its config is not an image config (OCI `application/vnd.oci.image.config.v1+json` or Docker " +
					"`application/vnd.docker.container.image.v1+json`): artifacts such as signatures, SBOMs and Helm charts have " +
					"other configs, which are not read.",
				Computed: true,
			},
			"architecture": schema.StringAttribute{
				MarkdownDescription: "CPU architecture of that image, from its config, e.g. `amd64` or `arm64`. Null as `os` is.",
				Computed:            true,
			},
			"variant": schema.StringAttribute{
				MarkdownDescription: "CPU variant of that image, from its config, e.g. `v8`; null when the config states none, and as `os` is.",
				Computed:            true,
			},
			"created": schema.StringAttribute{
				MarkdownDescription: "When that image was built, from its config, in RFC 3339 as written there (e.g. " +
					"`2024-05-01T12:00:00Z`). Null when the config states no time (or Go's zero time " +
					"`0001-01-01T00:00:00Z`, which tools write when they know none), when it is not RFC 3339, and as `os` is. " +
					"Reproducible builds often write `1970-01-01T00:00:00Z`, which is reported as is.",
				Computed: true,
			},
			"labels": schema.MapAttribute{
				MarkdownDescription: "Labels of that image, from its config (`LABEL` in a Dockerfile), such as " +
					"`org.opencontainers.image.revision` or `org.opencontainers.image.source`. An empty map when there are " +
					"none, when there is no single image, or when the config is not an image config, so that lookups such as " +
					"`lookup(labels, \"org.opencontainers.image.revision\", null)` always work.",
				ElementType: types.StringType,
				Computed:    true,
			},
		},
	}
}

func (d *manifestDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *manifestDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	if state := d.read(ctx, req.Config.Raw, &resp.Diagnostics); state != nil {
		resp.State.Raw = *state
	}
}

// read is Read on terraform-plugin-go values: the state, or nil when the
// diagnostics hold an error. The provider's server calls it directly (see
// server.go), and the framework through Read.
func (d *manifestDataSource) read(ctx context.Context, config tftypes.Value, diags *diag.Diagnostics) *tftypes.Value {
	args, err := configStrings(config, "reference", "platform")
	if err != nil {
		unexpectedConfiguration(diags, err)
		return nil
	}
	ref, ok := referenceArgument(args["reference"], diags)
	if !ok {
		return nil
	}
	want := platformArgument(args, diags)
	if diags.HasError() || !d.data.ready(diags) {
		return nil
	}
	ctx, cancel, limits := d.data.begin(ctx)
	defer cancel()
	tflog.Debug(ctx, "resolving image reference", map[string]any{"reference": ref.String(), "platform": args["platform"]})

	resolved, err := d.data.client.Resolve(ctx, ref, want)
	diags.Append(rateLimitWarnings(limits)...)
	if err != nil {
		diags.Append(manifestDiagnostic(err))
		return nil
	}
	state := manifestState(config, ref, resolved)
	return &state
}

// manifestState is the data source's state: its arguments as configured and
// every attribute of what the reference resolved to.
func manifestState(config tftypes.Value, ref imageref.Reference, r *registry.Resolved) tftypes.Value {
	var args map[string]tftypes.Value
	_ = config.As(&args) // configStrings has read it already.
	img := r.Image
	if img == nil {
		img = &registry.Image{}
	}
	layers := make([]tftypes.Value, len(img.Layers))
	for i, l := range img.Layers {
		layers[i] = tftypes.NewValue(layerType, map[string]tftypes.Value{
			"digest":      tfString(l.Digest),
			"media_type":  tfOptionalString(l.MediaType),
			"size":        tfNumber(l.Size),
			"annotations": tfStringMap(l.Annotations),
		})
	}
	return tftypes.NewValue(manifestType, map[string]tftypes.Value{
		"reference":         args["reference"],
		"platform":          args["platform"],
		"registry":          tfString(ref.Registry),
		"repository":        tfString(ref.Repository),
		"tag":               tfOptionalString(ref.Tag),
		"digest":            tfString(r.Digest),
		"media_type":        tfString(r.MediaType),
		"size":              tfNumber(r.Size),
		"pinned_reference":  tfString(ref.Pin(r.Digest)),
		"manifest_json":     tfString(string(r.Raw)),
		"annotations":       tfStringMap(r.Annotations),
		"artifact_type":     tfOptionalString(r.ArtifactType),
		"subject_digest":    tfOptionalString(r.SubjectDigest),
		"manifests":         manifestEntries(r.Manifests),
		"image_digest":      tfOptionalString(img.Digest),
		"image_media_type":  tfOptionalString(img.MediaType),
		"config_digest":     tfOptionalString(img.Config.Digest),
		"config_media_type": tfOptionalString(img.Config.MediaType),
		"layers":            tftypes.NewValue(tftypes.List{ElementType: layerType}, layers),
		"os":                tfOptionalString(img.OS),
		"architecture":      tfOptionalString(img.Architecture),
		"variant":           tfOptionalString(img.Variant),
		"created":           tfOptionalString(img.Created),
		"labels":            tfStringMap(img.Labels),
	})
}

// manifestEntries converts the entries of an index; an empty list for an
// image. Each entry's platform is an object whose attributes are null where
// the index states none.
func manifestEntries(entries []registry.Descriptor) tftypes.Value {
	values := make([]tftypes.Value, len(entries))
	for i, e := range entries {
		p := e.Platform
		if p == nil {
			p = &platform.Platform{}
		}
		values[i] = tftypes.NewValue(manifestEntryType, map[string]tftypes.Value{
			"digest":     tfString(e.Digest),
			"media_type": tfOptionalString(e.MediaType),
			"size":       tfNumber(e.Size),
			"platform": tftypes.NewValue(platformType, map[string]tftypes.Value{
				"os":           tfOptionalString(p.OS),
				"architecture": tfOptionalString(p.Architecture),
				"variant":      tfOptionalString(p.Variant),
				"os_version":   tfOptionalString(p.OSVersion),
			}),
			"annotations": tfStringMap(e.Annotations),
		})
	}
	return tftypes.NewValue(tftypes.List{ElementType: manifestEntryType}, values)
}

func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}
