package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/tagfilter"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var (
	_ datasource.DataSource              = (*tagsDataSource)(nil)
	_ datasource.DataSourceWithConfigure = (*tagsDataSource)(nil)
)

// defaultTagSort is the order of tags when sort is not set.
const defaultTagSort = tagfilter.SortLexical

func newTagsDataSource() datasource.DataSource { return &tagsDataSource{} }

type tagsDataSource struct {
	data *providerData
}

type tagsModel struct {
	Repository types.String `tfsdk:"repository"`
	Match      types.String `tfsdk:"match"`
	Semver     types.String `tfsdk:"semver"`
	Sort       types.String `tfsdk:"sort"`
	Tags       types.List   `tfsdk:"tags"`
	Latest     types.String `tfsdk:"latest"`
}

func (d *tagsDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_tags"
}

func (d *tagsDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the tags of a repository, optionally filtered by a regular expression and a semantic-version " +
			"constraint, and sorted lexically or by version; `latest` is the last of them, e.g. the newest release. Every page " +
			"of the registry's tag list is read (the `Link` header is followed). Resolve the tag with `imageinfo_manifest` to pin " +
			"its digest.",
		Attributes: map[string]schema.Attribute{
			"repository": schema.StringAttribute{
				MarkdownDescription: "The repository, named as in a `docker pull` reference without tag or digest: `nginx` " +
					"(Docker Hub's `library/nginx`), `bitnami/redis`, `ghcr.io/o/app`, `registry.example.com:5000/team/app`.",
				Required:   true,
				Validators: []validator.String{validators.Repository()},
			},
			"match": schema.StringAttribute{
				MarkdownDescription: "Keep only the tags this regular expression matches ([RE2 syntax](https://github.com/google/re2/wiki/Syntax)). " +
					"It matches anywhere in the tag unless anchored: `^v\\d+\\.\\d+\\.\\d+$` for exactly `v1.2.3`-style tags. " +
					"Unset by default: every tag is kept.",
				Optional:   true,
				Validators: []validator.String{validators.Regexp()},
			},
			"semver": schema.StringAttribute{
				MarkdownDescription: "Keep only the tags that are semantic versions satisfying this constraint, in the syntax of " +
					"[Masterminds/semver](https://github.com/Masterminds/semver#checking-version-constraints): `>= 1.25, < 2`, " +
					"`~1.27` (patch releases of 1.27), `^3` (3.x), `1.27.x`, alternatives joined by `||`. Tags are read as " +
					"versions leniently: a leading `v` is allowed and missing minor and patch numbers are zero (`v1.2.3`, " +
					"`1.27` and `3` are versions; `latest` and `sha-1a2b3c` are not, and are left out). A suffix after `-` makes " +
					"a pre-release (`1.27-alpine` is a pre-release of `1.27.0`), which a constraint leaves out unless it names a " +
					"pre-release itself. Applied after `match`. Unset by default: no version filter.",
				Optional:   true,
				Validators: []validator.String{validators.SemverConstraint()},
			},
			"sort": schema.StringAttribute{
				MarkdownDescription: fmt.Sprintf("Order of `tags`: `%s` (byte order, as registries list them: `1.10` before `1.9`) "+
					"or `%s` (by version, lowest first, pre-releases before their release; versions that are equal, such as `1.2` "+
					"and `v1.2.0`, in byte order). Sorting by version leaves out the tags that are not versions, as the `semver` "+
					"argument does. Defaults to `%s`; set `%s` to make `latest` the highest version.",
					tagfilter.SortLexical, tagfilter.SortSemver, defaultTagSort, tagfilter.SortSemver),
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(tagfilter.SortLexical, tagfilter.SortSemver)},
			},
			"tags": schema.ListAttribute{
				MarkdownDescription: "The repository's tags after filtering, in the order `sort` gives. An empty list when none " +
					"pass, when the repository has no tags, and when the registry does not know the repository " +
					"(`NAME_UNKNOWN`): that is how a registry answers for a repository that has no tags yet or holds only " +
					"untagged manifests, but also for a misspelt one. Other failures (unauthorized, denied, network) are errors.",
				ElementType: types.StringType,
				Computed:    true,
			},
			"latest": schema.StringAttribute{
				MarkdownDescription: "The last of `tags`: with `sort = \"semver\"`, the highest version. Null when `tags` is empty.",
				Computed:            true,
			},
		},
	}
}

func (d *tagsDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *tagsDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m tagsModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ref, err := imageref.ParseRepository(m.Repository.ValueString())
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("repository"), "Invalid Repository", err.Error()+".")
		return
	}
	// sort was checked by its validator: Filter takes it as given.
	opts := tagfilter.Options{Sort: defaultTagSort}
	if !m.Sort.IsNull() {
		opts.Sort = m.Sort.ValueString()
	}
	if !m.Match.IsNull() {
		if opts.Match, err = tagfilter.ParseMatch(m.Match.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("match"), "Invalid Regular Expression", err.Error()+".")
			return
		}
	}
	if !m.Semver.IsNull() {
		if opts.Constraint, err = tagfilter.ParseConstraint(m.Semver.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("semver"), "Invalid Version Constraint", err.Error()+".")
			return
		}
	}
	if !d.data.ready(&resp.Diagnostics) {
		return
	}
	ctx, cancel, limits := d.data.begin(ctx)
	defer cancel()
	tflog.Debug(ctx, "listing tags", map[string]any{"repository": ref.Name()})

	all, err := d.data.client.Tags(ctx, ref)
	resp.Diagnostics.Append(rateLimitWarnings(limits)...)
	if err != nil {
		resp.Diagnostics.Append(tagsDiagnostic(err))
		return
	}
	if len(all) == 0 {
		tflog.Info(ctx, "the repository has no tags, or the registry does not know it", map[string]any{"repository": ref.Name()})
	}
	tags := tagfilter.Filter(all, opts)
	tflog.Debug(ctx, "tags listed", map[string]any{"repository": ref.Name(), "listed": len(all), "kept": len(tags)})

	list, diags := types.ListValueFrom(ctx, types.StringType, tags)
	resp.Diagnostics.Append(diags...)
	m.Tags = list
	m.Latest = types.StringNull()
	if len(tags) > 0 {
		m.Latest = types.StringValue(tags[len(tags)-1])
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// tagsDiagnostic is registryDiagnostic, except that "not found" is about the
// tag list, not an image: a repository the registry does not know is an
// empty list, so this is a registry that answers 404 in another way.
func tagsDiagnostic(err error) diag.Diagnostic {
	var e *registry.Error
	if !errors.As(err, &e) || e.Class != registry.ClassNotFound {
		return registryDiagnostic(err)
	}
	detail := failure("Listing the tags of", e) + "\n\nThe registry did not say that the repository is unknown (NAME_UNKNOWN), which would be an empty list, " +
		"but that the tag list is not there. Check the repository name, and that the address is a registry that lists tags " +
		"(GET /v2/<repository>/tags/list); some registries also answer so for a private repository the credentials cannot see."
	return diag.NewErrorDiagnostic("Tag List Not Found", detail)
}
