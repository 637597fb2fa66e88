package provider

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/signature"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

var (
	_ datasource.DataSource                   = (*signatureDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*signatureDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*signatureDataSource)(nil)
)

func newSignatureDataSource() datasource.DataSource { return &signatureDataSource{} }

type signatureDataSource struct {
	data *providerData
}

type signatureModel struct {
	Reference       types.String  `tfsdk:"reference"`
	PublicKeys      types.List    `tfsdk:"public_keys"`
	TrustedRootJSON types.String  `tfsdk:"trusted_root_json"`
	RequireTlog     types.Bool    `tfsdk:"require_tlog"`
	Keyless         *keylessModel `tfsdk:"keyless"`
	Digest          types.String  `tfsdk:"digest"`
	PinnedReference types.String  `tfsdk:"pinned_reference"`
	Signatures      types.List    `tfsdk:"signatures"`
}

type keylessModel struct {
	Identity        types.String `tfsdk:"identity"`
	IdentityRegex   types.String `tfsdk:"identity_regex"`
	Issuer          types.String `tfsdk:"issuer"`
	IssuerRegex     types.String `tfsdk:"issuer_regex"`
	TrustedRootJSON types.String `tfsdk:"trusted_root_json"`
}

var signatureAttrTypes = map[string]attr.Type{
	"format":          types.StringType,
	"digest":          types.StringType,
	"key_id":          types.StringType,
	"identity":        types.StringType,
	"issuer":          types.StringType,
	"integrated_time": types.StringType,
}

func (d *signatureDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_signature"
}

func (d *signatureDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Verifies that the image a reference resolves to is signed, and fails the read otherwise, so that " +
			"a plan cannot pin an unsigned or wrongly signed image: pin `pinned_reference`. Give exactly one of `public_keys` " +
			"(signatures made with `cosign sign --key`) or a `keyless` block (Sigstore keyless signing, as in GitHub Actions).\n\n" +
			"Two formats are read: Sigstore bundles attached as OCI 1.1 referrers (what cosign v3 writes by default), and " +
			"cosign's simple-signing signatures in the `sha256-<hex>.sig` tag (cosign v1 and v2). The `.sig` tag is read only " +
			"when no bundle verifies. A signature counts only when what it signs is the digest the reference resolves to. " +
			"Nothing is fetched from Sigstore's services at plan time: certificates, signed timestamps and transparency log " +
			"entries are checked against `trusted_root_json`. On a cold cache a verified read costs the referrers list, the " +
			"signature's manifest and its bundle; later ones the list alone (or one `HEAD` of the fallback tag on registries " +
			"without the referrers API).",
		Attributes: map[string]schema.Attribute{
			"reference": schema.StringAttribute{
				MarkdownDescription: "The image, as `imageinfo_manifest` accepts it: `ghcr.io/o/app:1.2`, " +
					"`registry.example.com/team/app@sha256:…`. Its signatures are those of the manifest it resolves to (the index, " +
					"for a multi-platform tag, which is what `cosign sign` signs).",
				Required:   true,
				Validators: []validator.String{validators.Reference()},
			},
			"public_keys": schema.ListAttribute{
				MarkdownDescription: "PEM public keys (`-----BEGIN PUBLIC KEY-----`, as `cosign generate-key-pair` writes " +
					"`cosign.pub`): ECDSA P-256/P-384/P-521, Ed25519 or RSA. A signature must verify with one of them. Conflicts " +
					"with `keyless`.",
				ElementType: types.StringType,
				Optional:    true,
				Validators: []validator.List{
					listvalidator.SizeAtLeast(1),
					listvalidator.ValueStringsAre(validators.PublicKey()),
				},
			},
			"trusted_root_json": schema.StringAttribute{
				MarkdownDescription: "With `public_keys`: a Sigstore trusted root (see `keyless`) to verify the signatures' " +
					"transparency log entries with; `integrated_time` is then set. Without it, log entries are not checked. " +
					"For `keyless`, give the trusted root inside the block.",
				Optional:   true,
				Validators: []validator.String{validators.TrustedRoot()},
			},
			"require_tlog": schema.BoolAttribute{
				MarkdownDescription: "Count a signature only when it has a transparency log entry that the trusted root " +
					"verifies (`trusted_root_json`, or the `keyless` block's). Defaults to `false`.",
				Optional: true,
			},
			"digest": schema.StringAttribute{
				MarkdownDescription: "Digest of the manifest `reference` resolves to: what was verified.",
				Computed:            true,
			},
			"pinned_reference": schema.StringAttribute{
				MarkdownDescription: "`<registry>/<repository>@<digest>` of the verified digest: what to deploy.",
				Computed:            true,
			},
			"signatures": schema.ListNestedAttribute{
				MarkdownDescription: "The signatures that verified, at least one.",
				Computed:            true,
				NestedObject: schema.NestedAttributeObject{
					Attributes: map[string]schema.Attribute{
						"format": schema.StringAttribute{
							MarkdownDescription: "`sigstore-bundle` (an OCI 1.1 referrer, cosign v3) or `cosign-simple-signing` " +
								"(the `.sig` tag, cosign v1/v2).",
							Computed: true,
						},
						"digest": schema.StringAttribute{
							MarkdownDescription: "Digest of the signature's own manifest: the bundle referrer, or the `.sig` tag's manifest.",
							Computed:            true,
						},
						"key_id": schema.StringAttribute{
							MarkdownDescription: "sha256 (hex) of the DER encoding of the public key it verified with; null for keyless.",
							Computed:            true,
						},
						"identity": schema.StringAttribute{
							MarkdownDescription: "The signing certificate's identity (subject alternative name), e.g. the workflow " +
								"URL for GitHub Actions; null for keys.",
							Computed: true,
						},
						"issuer": schema.StringAttribute{
							MarkdownDescription: "The signing certificate's OIDC issuer, e.g. " +
								"`https://token.actions.githubusercontent.com`; null for keys.",
							Computed: true,
						},
						"integrated_time": schema.StringAttribute{
							MarkdownDescription: "When a verified transparency log entry says the signature was logged, in RFC 3339; " +
								"null without one.",
							Computed: true,
						},
					},
				},
			},
		},
		Blocks: map[string]schema.Block{
			"keyless": schema.SingleNestedBlock{
				MarkdownDescription: "Sigstore keyless signatures: a short-lived Fulcio certificate for an OIDC identity. Give " +
					"exactly one of `identity` and `identity_regex`, and of `issuer` and `issuer_regex`. The certificate chain, " +
					"the signed timestamps or log entries that date the signature, and the certificate's SCT where the root lists " +
					"CT logs are checked against `trusted_root_json`. Conflicts with `public_keys`.",
				Attributes: map[string]schema.Attribute{
					"identity": schema.StringAttribute{
						MarkdownDescription: "The certificate's identity (subject alternative name), exactly: for GitHub Actions " +
							"the workflow's URL, `https://github.com/OWNER/REPO/.github/workflows/FILE.yml@refs/heads/main`; an " +
							"email address for a person.",
						Optional: true,
					},
					"identity_regex": schema.StringAttribute{
						MarkdownDescription: "An RE2 regular expression the identity must match, unanchored as cosign's " +
							"`--certificate-identity-regexp` is: anchor it, e.g. " +
							"`^https://github\\.com/OWNER/REPO/\\.github/workflows/release\\.yml@refs/tags/v`.",
						Optional:   true,
						Validators: []validator.String{validators.Regexp()},
					},
					"issuer": schema.StringAttribute{
						MarkdownDescription: "The OIDC issuer, exactly: `https://token.actions.githubusercontent.com` for GitHub " +
							"Actions, `https://accounts.google.com`, `https://gitlab.com`.",
						Optional: true,
					},
					"issuer_regex": schema.StringAttribute{
						MarkdownDescription: "An RE2 regular expression the OIDC issuer must match (unanchored).",
						Optional:            true,
						Validators:          []validator.String{validators.Regexp()},
					},
					"trusted_root_json": schema.StringAttribute{
						MarkdownDescription: "The Sigstore trusted root to check against, in JSON: `trusted_root.json` of " +
							"Sigstore's TUF repository for the public-good instance (what GitHub Actions signs with), or what " +
							"`cosign trusted-root create` writes for a private one, e.g. `file(\"trusted_root.json\")`: " +
							"nothing is fetched at plan time. Required in the block; keep it current: the guide says how.",
						Optional:   true,
						Validators: []validator.String{validators.TrustedRoot()},
					},
				},
			},
		},
	}
}

func (d *signatureDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var m signatureModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	for _, problem := range signatureConfigProblems(m) {
		resp.Diagnostics.AddAttributeError(problem.at, "Invalid Signature Policy", problem.detail)
	}
}

type configProblem struct {
	at     path.Path
	detail string
}

// signatureConfigProblems checks the rules across attributes, leaving
// values not known yet for later.
func signatureConfigProblems(m signatureModel) []configProblem {
	var out []configProblem
	add := func(at path.Path, format string, args ...any) {
		out = append(out, configProblem{at, fmt.Sprintf(format, args...)})
	}
	keys := !m.PublicKeys.IsNull()
	switch {
	case keys && m.Keyless != nil:
		add(path.Root("keyless"), "Give either public_keys or a keyless block, not both: a signature is verified one way.")
	case !keys && m.Keyless == nil:
		add(path.Root("public_keys"), "Give public_keys (for cosign sign --key) or a keyless block (for Sigstore keyless "+
			"signing, as in GitHub Actions): one of them says which signatures count.")
	}
	if m.Keyless != nil {
		k, at := m.Keyless, path.Root("keyless")
		if !m.TrustedRootJSON.IsNull() {
			add(path.Root("trusted_root_json"), "With a keyless block, give the trusted root as the block's trusted_root_json.")
		}
		for _, pair := range [][2]string{{"identity", "identity_regex"}, {"issuer", "issuer_regex"}} {
			exact, regex := k.Identity, k.IdentityRegex
			if pair[0] == "issuer" {
				exact, regex = k.Issuer, k.IssuerRegex
			}
			if exact.IsUnknown() || regex.IsUnknown() {
				continue
			}
			if exact.IsNull() == regex.IsNull() {
				add(at.AtName(pair[0]), "Give exactly one of %s and %s in the keyless block: the certificate's %s must be "+
					"pinned down, or anyone with an account at the issuer could sign.", pair[0], pair[1], pair[0])
			}
		}
		if k.TrustedRootJSON.IsNull() {
			add(at.AtName("trusted_root_json"), "The keyless block needs trusted_root_json: certificates are checked against "+
				"it, and nothing is fetched at plan time.")
		}
		return out
	}
	if m.RequireTlog.ValueBool() && m.TrustedRootJSON.IsNull() {
		add(path.Root("require_tlog"), "require_tlog needs trusted_root_json, to verify the transparency log entries with.")
	}
	return out
}

func (d *signatureDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.data = configuredData(req.ProviderData, &resp.Diagnostics)
}

func (d *signatureDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m signatureModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ref, ok := referenceArgument(m.Reference.ValueString(), &resp.Diagnostics)
	if !ok {
		return
	}
	for _, problem := range signatureConfigProblems(m) {
		resp.Diagnostics.AddAttributeError(problem.at, "Invalid Signature Policy", problem.detail)
	}
	policy := signaturePolicy(ctx, m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || !d.data.ready(&resp.Diagnostics) {
		return
	}
	ctx, cancel, limits := d.data.begin(ctx)
	defer cancel()
	tflog.Debug(ctx, "verifying signatures", map[string]any{"reference": ref.String(), "keyless": policy.Keyless()})

	res, err := signature.Verify(ctx, d.data.client, ref, policy)
	resp.Diagnostics.Append(rateLimitWarnings(limits)...)
	if err != nil {
		resp.Diagnostics.Append(registryDiagnostic(err))
		return
	}
	if len(res.Verified) == 0 {
		resp.Diagnostics.Append(notVerifiedDiagnostic(ref, res, policy))
		return
	}
	tflog.Debug(ctx, "signatures verified", map[string]any{"digest": res.Digest, "verified": len(res.Verified), "failed": len(res.Failed)})
	m.Digest = types.StringValue(res.Digest)
	m.PinnedReference = types.StringValue(ref.Pin(res.Digest))
	var diags diag.Diagnostics
	m.Signatures, diags = signatureList(res.Verified)
	resp.Diagnostics.Append(diags...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// signaturePolicy builds the policy; the validators have checked every
// value, so a failure here is one they could not see (unknown at validate
// time) and is reported on its attribute.
func signaturePolicy(ctx context.Context, m signatureModel, diags *diag.Diagnostics) *signature.Policy {
	p := &signature.Policy{RequireTlog: m.RequireTlog.ValueBool()}
	rootJSON, rootAt := m.TrustedRootJSON, path.Root("trusted_root_json")
	if m.Keyless != nil {
		rootJSON, rootAt = m.Keyless.TrustedRootJSON, path.Root("keyless").AtName("trusted_root_json")
		identity, err := signature.NewMatcher(m.Keyless.Identity.ValueString(), m.Keyless.IdentityRegex.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("keyless").AtName("identity_regex"), "Invalid Regular Expression", err.Error()+".")
		}
		issuer, err := signature.NewMatcher(m.Keyless.Issuer.ValueString(), m.Keyless.IssuerRegex.ValueString())
		if err != nil {
			diags.AddAttributeError(path.Root("keyless").AtName("issuer_regex"), "Invalid Regular Expression", err.Error()+".")
		}
		p.Identity, p.Issuer = &identity, &issuer
	} else {
		var pems []string
		diags.Append(m.PublicKeys.ElementsAs(ctx, &pems, false)...)
		for i, s := range pems {
			k, err := signature.ParsePublicKey(s)
			if err != nil {
				diags.AddAttributeError(path.Root("public_keys").AtListIndex(i), "Invalid Public Key", validators.Capitalize(err.Error())+".")
				continue
			}
			p.Keys = append(p.Keys, k)
		}
	}
	if !rootJSON.IsNull() {
		tr, err := signature.ParseTrustedRoot(rootJSON.ValueString())
		if err != nil {
			diags.AddAttributeError(rootAt, "Invalid Trusted Root", validators.Capitalize(err.Error())+".")
		}
		p.TrustedRoot = tr
	}
	return p
}

func signatureList(sigs []signature.Signature) (types.List, diag.Diagnostics) {
	var diags diag.Diagnostics
	values := make([]attr.Value, 0, len(sigs))
	for _, s := range sigs {
		integrated := types.StringNull()
		if !s.IntegratedTime.IsZero() {
			integrated = types.StringValue(s.IntegratedTime.Format(time.RFC3339))
		}
		obj, d := types.ObjectValue(signatureAttrTypes, map[string]attr.Value{
			"format":          types.StringValue(s.Format),
			"digest":          types.StringValue(s.Digest),
			"key_id":          optionalString(s.KeyID),
			"identity":        optionalString(s.Identity),
			"issuer":          optionalString(s.Issuer),
			"integrated_time": integrated,
		})
		diags.Append(d...)
		values = append(values, obj)
	}
	list, d := types.ListValue(types.ObjectType{AttrTypes: signatureAttrTypes}, values)
	diags.Append(d...)
	return list, diags
}

// notVerifiedDiagnostic names the image, every signature found and why it
// failed, and what to do about each reason.
func notVerifiedDiagnostic(ref imageref.Reference, res *signature.Result, p *signature.Policy) diag.Diagnostic {
	how := fmt.Sprintf("with the %d public key(s) given", len(p.Keys))
	if p.Keyless() {
		how = fmt.Sprintf("keyless for identity %s and issuer %s", p.Identity, p.Issuer)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "No signature of %s (registry %q, repository %q, digest %q) verifies %s.",
		ref.String(), ref.Registry, ref.Repository, res.Digest, how)
	if len(res.Failed) == 0 {
		fmt.Fprintf(&b, "\n\nNo signature was found: no Sigstore bundle among its referrers (artifact type %s) and no %s tag. "+
			"Sign this digest (cosign sign %s), or refer to an image that is signed.", signature.BundleArtifactType,
			signature.SigTag(res.Digest), ref.Pin(res.Digest))
		return diag.NewErrorDiagnostic("Image Signature Not Verified", b.String())
	}
	fmt.Fprintf(&b, "\n\nSignatures found (%d):", len(res.Failed))
	seen := map[signature.Reason]bool{}
	var advice []string
	for _, f := range res.Failed {
		fmt.Fprintf(&b, "\n- %s %s: %s: %s.", f.Format, f.Digest, f.Reason, strings.TrimRight(f.Detail, "."))
		if !seen[f.Reason] {
			seen[f.Reason] = true
			if a := reasonAdvice(f.Reason); a != "" {
				advice = append(advice, a)
			}
		}
	}
	if len(advice) > 0 {
		b.WriteString("\n\n" + strings.Join(advice, "\n"))
	}
	return diag.NewErrorDiagnostic("Image Signature Not Verified", b.String())
}

// reasonAdvice says what to do about each reason a signature failed for.
func reasonAdvice(r signature.Reason) string {
	switch r {
	case signature.ReasonWrongKey:
		return "Wrong key: check that public_keys holds the public half of the key the image was signed with (cosign public-key --key <key>)."
	case signature.ReasonDigestNotBound:
		return "Digest not bound: those signatures are for other content, so the tag may have moved since it was signed. Sign this " +
			"digest, or refer to the digest that was signed."
	case signature.ReasonKeyless:
		return "Keyless signature: the image is signed keyless; verify it with a keyless block (identity and issuer) instead of public_keys."
	case signature.ReasonNotKeyless:
		return "Key signature: the image is signed with a key; verify it with public_keys instead of a keyless block."
	case signature.ReasonUntrustedChain:
		return "Untrusted certificate chain: check that trusted_root_json is the current trusted root of the Sigstore instance " +
			"that signed (the public-good one for GitHub Actions), with its certificate authorities and CT logs."
	case signature.ReasonIdentity:
		return "Identity mismatch: check identity or identity_regex; for GitHub Actions the identity is the workflow's URL, " +
			"https://github.com/OWNER/REPO/.github/workflows/FILE@REF."
	case signature.ReasonIssuer:
		return "Issuer mismatch: check issuer or issuer_regex; GitHub Actions' issuer is https://token.actions.githubusercontent.com."
	case signature.ReasonNoLogEntry:
		return "No log entry: the signature was made without a transparency log entry (cosign sign --tlog-upload=false). Sign " +
			"with one, or leave require_tlog unset."
	case signature.ReasonLogEntry:
		return "Log entry not verified: check that trusted_root_json is current and lists the transparency log that recorded " +
			"the signature."
	case signature.ReasonNoTimestamp:
		return "No verified timestamp: a keyless signature needs a signed timestamp or a log entry that trusted_root_json verifies; " +
			"check that it lists the timestamp authority or transparency log used."
	case signature.ReasonMalformed, signature.ReasonBadSignature, signature.ReasonInvalid:
		return "Damaged or unreadable signatures: sign the image again with a current cosign."
	}
	return ""
}
