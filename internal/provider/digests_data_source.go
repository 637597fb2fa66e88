package provider

import (
	"context"
	"fmt"
	"sort"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var (
	_ datasource.DataSource              = (*digestsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*digestsDataSource)(nil)
)

func newDigestsDataSource() datasource.DataSource { return &digestsDataSource{} }

type digestsDataSource struct {
	data *providerData
}

var (
	digestImageAttrTypes = map[string]attr.Type{
		"registry":         types.StringType,
		"repository":       types.StringType,
		"tag":              types.StringType,
		"digest":           types.StringType,
		"media_type":       types.StringType,
		"size":             types.Int64Type,
		"pinned_reference": types.StringType,
		"image_digest":     types.StringType,
	}
	// digestsAttrTypes are the attributes of imageinfo_digests, as its
	// schema declares them (TestStateTypesMatchSchemas holds the two equal).
	digestsAttrTypes = map[string]attr.Type{
		"references": types.MapType{ElemType: types.StringType},
		"platform":   types.StringType,
		"images":     types.MapType{ElemType: types.ObjectType{AttrTypes: digestImageAttrTypes}},
		"pinned":     types.MapType{ElemType: types.StringType},
	}
	digestsType     = objectType(digestsAttrTypes)
	digestImageType = objectType(digestImageAttrTypes)
)

func (d *digestsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_digests"
}

func (d *digestsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resolves many image references in one read, at the cost of one `HEAD` request each, to pin them all " +
			"at once: the images of a Helm release's values, a list of sidecars. `HEAD` requests do not count against Docker " +
			"Hub's pull limit, so this data source spends no pulls.\n\n" +
			"References that are equal after normalisation (`nginx` and `docker.io/library/nginx:latest`) are resolved once, and " +
			"requests run concurrently, at most 16 at a time per registry. A manifest is fetched only where a `HEAD` answer gives " +
			"no usable digest, media type and size, or where `platform` needs an index that is not in the cache. When " +
			"references fail, the read fails with one error per failed key, naming the key, the reference and what went wrong. " +
			"Use `imageinfo_manifest` for everything else a manifest says (layers, config, labels).",
		Attributes: map[string]schema.Attribute{
			"references": schema.MapAttribute{
				MarkdownDescription: "The references to resolve, by keys of your choosing: any reference `imageinfo_manifest` " +
					"accepts (`nginx`, `nginx:1.27`, `ghcr.io/o/app@sha256:…`). An invalid reference is an error at validate " +
					"time, naming its key.",
				ElementType: types.StringType,
				Required:    true,
				Validators:  []validator.Map{validators.ReferenceMap()},
			},
			"platform": schema.StringAttribute{
				MarkdownDescription: "A platform, as `os/arch[/variant]` (e.g. `linux/arm64`), to choose `image_digest` from each " +
					"multi-platform index, matched as `imageinfo_manifest` matches it; each index is then read, from the cache " +
					"when it is there. An index without a matching entry fails its key, listing the platforms it offers. A " +
					"reference to a single image gets `image_digest` = `digest` without a platform check (that would cost its " +
					"config: use `imageinfo_manifest`). Unset by default: `image_digest` is then null for an index.",
				Optional:   true,
				Validators: []validator.String{validators.Platform()},
			},
			"images": schema.MapNestedAttribute{
				MarkdownDescription: "What each reference points to, by the same keys.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
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
							MarkdownDescription: "Digest of the manifest the reference points to (the index, for a multi-platform tag), " +
								"as the registry's `Docker-Content-Digest` header gives it. What you pin.",
							Computed: true,
						},
						"media_type": schema.StringAttribute{
							MarkdownDescription: "Media type of that manifest.",
							Computed:            true,
						},
						"size": schema.Int64Attribute{
							MarkdownDescription: "Size of that manifest in bytes.",
							Computed:            true,
						},
						"pinned_reference": schema.StringAttribute{
							MarkdownDescription: "`<registry>/<repository>@<digest>`, e.g. `docker.io/library/nginx@sha256:…`.",
							Computed:            true,
						},
						"image_digest": schema.StringAttribute{
							MarkdownDescription: "Digest of the single-platform image: `digest` itself for an image; the entry chosen " +
								"by `platform` for an index; null for an index when `platform` is not set.",
							Computed: true,
						},
					},
				},
			},
			"pinned": schema.MapAttribute{
				MarkdownDescription: "`pinned_reference` alone, by the same keys: for templating into values files.",
				ElementType:         types.StringType,
				Computed:            true,
			},
		},
	}
}

func (d *digestsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *digestsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	args, err := configStrings(req.Config.Raw, "platform")
	if err != nil {
		unexpectedConfiguration(&resp.Diagnostics, err)
		return
	}
	given, err := configStringMap(req.Config.Raw, "references")
	if err != nil {
		unexpectedConfiguration(&resp.Diagnostics, err)
		return
	}
	keys := make([]string, 0, len(given))
	for k := range given {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	refs := make([]imageref.Reference, len(keys))
	for i, k := range keys {
		if refs[i], err = imageref.Parse(given[k]); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("references").AtMapKey(k), "Invalid Image Reference",
				fmt.Sprintf("Key %q: %q is not an image reference: %s.", k, given[k], err))
		}
	}
	want := platformArgument(args, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !d.data.ready(&resp.Diagnostics) {
		return
	}
	ctx, cancel, limits := d.data.begin(ctx)
	defer cancel()
	tflog.Debug(ctx, "resolving image references", map[string]any{"references": len(refs), "platform": args["platform"]})

	results := d.data.client.Digests(ctx, refs, want)
	resp.Diagnostics.Append(rateLimitWarnings(limits)...)
	images := make(map[string]tftypes.Value, len(keys))
	pinned := make(map[string]tftypes.Value, len(keys))
	for i, k := range keys {
		r := results[i]
		if r.Err != nil {
			resp.Diagnostics.Append(keyedDiagnostic(k, given[k], r.Err))
			continue
		}
		ref, h := refs[i], r.Head
		images[k] = tftypes.NewValue(digestImageType, map[string]tftypes.Value{
			"registry":         tfString(ref.Registry),
			"repository":       tfString(ref.Repository),
			"tag":              tfOptionalString(ref.Tag),
			"digest":           tfString(h.Digest),
			"media_type":       tfString(h.MediaType),
			"size":             tfNumber(h.Size),
			"pinned_reference": tfString(ref.Pin(h.Digest)),
			"image_digest":     tfOptionalString(h.ImageDigest),
		})
		pinned[k] = tfString(ref.Pin(h.Digest))
	}
	if resp.Diagnostics.HasError() {
		return
	}
	var config map[string]tftypes.Value
	_ = req.Config.Raw.As(&config) // read above
	resp.State.Raw = tftypes.NewValue(digestsType, map[string]tftypes.Value{
		"references": config["references"],
		"platform":   config["platform"],
		"images":     tftypes.NewValue(tftypes.Map{ElementType: digestImageType}, images),
		"pinned":     tftypes.NewValue(stringMapType, pinned),
	})
}
