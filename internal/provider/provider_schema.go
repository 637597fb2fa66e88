package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

// Defaults applied when the provider configuration leaves a setting out
// (max_retries: registry.DefaultMaxRetries), and bounds.
const (
	defaultTimeout = 60 * time.Second
	maxMaxRetries  = 10
)

// providerModel is the provider block. Registries is a list of
// registryModel objects, read with registryBlocks: a dynamic block over a
// value not known yet makes the whole list unknown, which a slice cannot hold.
type providerModel struct {
	DockerConfig     types.Bool   `tfsdk:"docker_config"`
	DockerConfigPath types.String `tfsdk:"docker_config_path"`
	CacheDir         types.String `tfsdk:"cache_dir"`
	Timeout          types.String `tfsdk:"timeout"`
	MaxRetries       types.Int64  `tfsdk:"max_retries"`
	Registries       types.List   `tfsdk:"registry"`
}

// registryModel is one registry block.
type registryModel struct {
	Address       types.String `tfsdk:"address"`
	Username      types.String `tfsdk:"username"`
	Password      types.String `tfsdk:"password"`
	Token         types.String `tfsdk:"token"`
	IdentityToken types.String `tfsdk:"identity_token"`
	Insecure      types.Bool   `tfsdk:"insecure"`
	SkipTLSVerify types.Bool   `tfsdk:"skip_tls_verify"`
	CACertPEM     types.String `tfsdk:"ca_cert_pem"`
	ClientCertPEM types.String `tfsdk:"client_cert_pem"`
	ClientKeyPEM  types.String `tfsdk:"client_key_pem"`
	ECR           types.Object `tfsdk:"ecr"` // of ecrSettings; null without an ecr block
}

// registryBlocks reads the registry blocks: none while the list is unknown
// (unknownSettings names it).
func registryBlocks(ctx context.Context, list types.List) ([]registryModel, diag.Diagnostics) {
	if list.IsNull() || list.IsUnknown() {
		return nil, nil
	}
	var blocks []registryModel
	diags := list.ElementsAs(ctx, &blocks, false)
	return blocks, diags
}

func (p *imageinfoProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Resolves container image references to digests and metadata by speaking the " +
			"OCI distribution API (Docker Registry v2) directly, with the authentication each registry asks for: " +
			"the Docker token flow (Docker Hub, GHCR, ACR, GCR/Artifact Registry, Quay, Harbor) or Basic. " +
			"Credentials are given per registry in `registry` blocks; registries without one are read anonymously.",
		Attributes: map[string]schema.Attribute{
			"docker_config": schema.BoolAttribute{
				MarkdownDescription: "Read credentials from the Docker config file, as `docker pull` does, for registries " +
					"that no `registry` block gives credentials for: `credHelpers` and `credsStore` (run through the " +
					"`docker-credential-<name>` helpers, e.g. `ecr-login`, `gcloud`, `acr-env`, `desktop`), and `auths` " +
					"(`auth`, `username`/`password`, `identitytoken`, `registrytoken`). A missing file is no error. Defaults to `true`.",
				Optional: true,
			},
			"docker_config_path": schema.StringAttribute{
				MarkdownDescription: "Path of the Docker config file. Defaults to `$DOCKER_CONFIG/config.json`, else " +
					"`~/.docker/config.json`.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"cache_dir": schema.StringAttribute{
				MarkdownDescription: "Directory of a content-addressed cache of manifests and image configs, by digest, shared " +
					"by every run and every Terraform process that uses it. A reference by digest that is cached costs no request; " +
					"a tag whose last digest is cached costs one `HEAD` (which Docker Hub does not count against its pull limit). " +
					"Entries are checked against their digests when read, and written atomically. Defaults to " +
					"`<user cache dir>/terraform-provider-imageinfo` (`$XDG_CACHE_HOME` or `~/.cache` on Linux, " +
					"`~/Library/Caches` on macOS, `%LocalAppData%` on Windows); `\"\"` turns the cache off.",
				Optional: true,
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: "Bound on one data source read, every request and retry included, as a duration " +
					"such as `\"60s\"` or `\"2m\"`. Defaults to `\"60s\"`.",
				Optional:   true,
				Validators: []validator.String{validators.PositiveDuration()},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("How many times a request is retried after a `429`, a `5xx` or a network error, "+
					"with exponential back-off and jitter, honouring the registry's `Retry-After` as long as the wait fits "+
					"inside `timeout`. `0` disables retries. Defaults to `%d`; at most `%d`.", registry.DefaultMaxRetries, maxMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, maxMaxRetries)},
			},
		},
		Blocks: map[string]schema.Block{
			"registry": registryBlockSchema(),
		},
	}
}

// registryBlockSchema is the schema of the registry blocks.
func registryBlockSchema() schema.ListNestedBlock {
	return schema.ListNestedBlock{
		MarkdownDescription: "Credentials and connection settings for one registry. Repeat the block for each " +
			"registry; at most one block per registry. Give at most one kind of credentials: `username` with " +
			"`password`, `token`, `identity_token`, or an `ecr` block. A block with only connection settings (`insecure`, `skip_tls_verify`, " +
			"`ca_cert_pem`, client certificates) leaves the registry's credentials to the next sources: the Docker config, " +
			"ECR for ECR hostnames, then anonymous access.",
		NestedObject: schema.NestedBlockObject{
			Attributes: map[string]schema.Attribute{
				"address": schema.StringAttribute{
					MarkdownDescription: "The registry's `host[:port]`, e.g. `ghcr.io` or `registry.example.com:5000`. " +
						"`docker.io`, `index.docker.io`, `registry-1.docker.io` and `https://index.docker.io/v1/` all mean Docker Hub. " +
						"A scheme (`https://`) is accepted and ignored; a repository path is an error.",
					Required:   true,
					Validators: []validator.String{validators.RegistryAddress()},
				},
				"username": schema.StringAttribute{
					MarkdownDescription: "User name for Basic credentials, given with `password`. The registry's challenge decides how " +
						"they are used: sent directly to a `Basic` challenge, or to the token realm of a `Bearer` challenge to get a " +
						"pull token. Registries that take an access token as a password want a fixed user name here, e.g. " +
						"`oauth2accesstoken` for Google, `00000000-0000-0000-0000-000000000000` for an ACR refresh token.",
					Optional:   true,
					Validators: usernameValidators,
				},
				"password": schema.StringAttribute{
					MarkdownDescription: "Password, personal access token or robot-account secret, given with `username`.",
					Optional:            true,
					Sensitive:           true,
					Validators:          passwordValidators,
				},
				"token": schema.StringAttribute{
					MarkdownDescription: "A registry bearer token, sent as is in `Authorization: Bearer` without any token exchange. " +
						"For a short-lived registry access token obtained elsewhere, for example from the registry's token endpoint by a CI job. " +
						"The registry's challenge is not consulted for it, so it must be valid for pulling the repositories read.",
					Optional:   true,
					Sensitive:  true,
					Validators: tokenValidators,
				},
				"identity_token": schema.StringAttribute{
					MarkdownDescription: "An OAuth2 refresh token for the registry's token realm (what `docker login` stores as " +
						"`identitytoken`), such as an ACR refresh token from `az acr login --expose-token`. It is exchanged for pull " +
						"tokens with `POST grant_type=refresh_token`; where the token server does not support that (it answers " +
						"404, 405, 400 or 401), with a `GET` sending it as the password, as containerd does.",
					Optional:   true,
					Sensitive:  true,
					Validators: identityTokenValidators,
				},
				"client_cert_pem": schema.StringAttribute{
					MarkdownDescription: "PEM-encoded client certificate (and any intermediates) for registries that require " +
						"mutual TLS, given with `client_key_pem`. Sent to this host and port only.",
					Optional:   true,
					Validators: clientCertValidators,
				},
				"client_key_pem": schema.StringAttribute{
					MarkdownDescription: "PEM-encoded private key of `client_cert_pem`.",
					Optional:            true,
					Sensitive:           true,
					Validators:          clientKeyValidators,
				},
				"insecure": schema.BoolAttribute{
					MarkdownDescription: "Allow plain HTTP to this registry (and its token realm): HTTPS is tried first, as Docker " +
						"does for an insecure registry, then HTTP, and credentials then travel unencrypted. Registries on loopback " +
						"addresses are treated this way already; every other registry, at a private address (`10.x`, `192.168.x`) " +
						"too, is spoken to over HTTPS only without it. Conflicts with `skip_tls_verify` and `ca_cert_pem`. Defaults to `false`.",
					Optional:   true,
					Validators: insecureValidators,
				},
				"skip_tls_verify": schema.BoolAttribute{
					MarkdownDescription: "Do not verify the TLS certificate of this host and port. Prefer `ca_cert_pem`: without " +
						"verification anyone on the network path can impersonate the registry. Its token realm and redirect targets " +
						"on other hosts are still verified. Defaults to `false`.",
					Optional:   true,
					Validators: skipTLSVerifyValidators,
				},
				"ca_cert_pem": schema.StringAttribute{
					MarkdownDescription: "PEM-encoded CA certificate(s) trusted for this host and port in addition to the system's, " +
						"for registries with a private CA. Only for this host: a token realm on another host that needs a private " +
						"CA gets a `registry` block of its own, with its `address` and `ca_cert_pem` only.",
					Optional:   true,
					Validators: []validator.String{validators.CertificatesPEM()},
				},
			},
			Blocks: map[string]schema.Block{
				"ecr": ecrBlockSchema(),
			},
		},
	}
}

// ecrSetting is one attribute of the ecr block. ecrSettings is the one list
// of them: the schema is made from it, the configuration sets ecr.Config
// through it (ecrConfig), and the unknown check and log masking walk the
// block's values by the schema it makes.
type ecrSetting struct {
	name        string
	description string
	sensitive   bool
	// field is the ecr.Config field the attribute sets.
	field func(*ecr.Config) *string
}

var ecrSettings = []ecrSetting{
	{name: "region", field: func(c *ecr.Config) *string { return &c.Region },
		description: "Region of the ECR API. Defaults to the region in the address " +
			"(`<account>.dkr.ecr.<region>.amazonaws.com`); required when the address is not an ECR hostname (a proxy or alias)."},
	{name: "registry_id", field: func(c *ecr.Config) *string { return &c.RegistryID },
		description: "The 12-digit AWS account id that owns the registry. Defaults to the one in the address; " +
			"must agree with it. Named in diagnostics."},
	{name: "profile", field: func(c *ecr.Config) *string { return &c.Profile },
		description: "A profile of the shared AWS config and credentials files (`~/.aws/config`, `~/.aws/credentials`, " +
			"or `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`). Conflicts with `access_key`."},
	{name: "access_key", field: func(c *ecr.Config) *string { return &c.AccessKey },
		description: "AWS access key id, given with `secret_key` (and `session_token` for temporary keys), " +
			"instead of the default credential chain."},
	{name: "secret_key", sensitive: true, field: func(c *ecr.Config) *string { return &c.SecretKey },
		description: "AWS secret access key, given with `access_key`."},
	{name: "session_token", sensitive: true, field: func(c *ecr.Config) *string { return &c.SessionToken },
		description: "AWS session token, for temporary keys given with `access_key` and `secret_key`."},
	{name: "role_arn", field: func(c *ecr.Config) *string { return &c.RoleARN },
		description: "ARN of an IAM role to assume (`sts:AssumeRole`) with the credentials above before calling " +
			"ECR, e.g. for cross-account pulls."},
	{name: "external_id", field: func(c *ecr.Config) *string { return &c.ExternalID },
		description: "External id required by the role's trust policy, with `role_arn`."},
	{name: "session_name", field: func(c *ecr.Config) *string { return &c.SessionName },
		description: "Session name of the assumed role, with `role_arn`. Defaults to `" + ecr.DefaultSessionName + "`."},
	{name: "endpoint", field: func(c *ecr.Config) *string { return &c.Endpoint },
		description: "URL of the ECR API endpoint, e.g. an interface VPC endpoint " +
			"(`https://vpce-….api.ecr.us-east-1.vpce.amazonaws.com`). `AWS_ENDPOINT_URL_ECR` is honoured when unset."},
}

func ecrBlockSchema() schema.SingleNestedBlock {
	attrs := make(map[string]schema.Attribute, len(ecrSettings))
	for _, s := range ecrSettings {
		attrs[s.name] = schema.StringAttribute{MarkdownDescription: s.description, Optional: true, Sensitive: s.sensitive}
	}
	return schema.SingleNestedBlock{
		MarkdownDescription: "Amazon ECR: the password comes from the ECR API call `GetAuthorizationToken` (for " +
			"`public.ecr.aws`, from ECR Public's, in `us-east-1`), made with AWS credentials and cached until shortly before " +
			"it expires (12 hours), one call per registry and credential set for the whole run. AWS access keys are never " +
			"accepted as a registry username/password: give them here. With no attribute set (`ecr {}`), the default AWS " +
			"credential chain is used: environment, shared config and credentials files (`AWS_PROFILE`), SSO, web identity, " +
			"container and instance roles. ECR hostnames without a `registry` block use that chain automatically. The " +
			"credentials need `ecr:GetAuthorizationToken`, and `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on the repositories read.",
		Attributes: attrs,
		Validators: ecrValidators,
	}
}
