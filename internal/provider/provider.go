// Package provider translates between Terraform and the provider's plain Go
// packages: schemas, models, and diagnostics. It never speaks HTTP itself.
package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/function"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

// Defaults applied when the provider configuration leaves a setting out.
const (
	defaultTimeout    = 60 * time.Second
	defaultMaxRetries = 3
	maxMaxRetries     = 10
)

var (
	_ provider.Provider                   = (*imageinfoProvider)(nil)
	_ provider.ProviderWithValidateConfig = (*imageinfoProvider)(nil)
)

// New returns a constructor for the provider, as providerserver wants it.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &imageinfoProvider{version: version}
	}
}

type imageinfoProvider struct {
	version string
}

// providerModel is the provider block.
type providerModel struct {
	DockerConfig     types.Bool      `tfsdk:"docker_config"`
	DockerConfigPath types.String    `tfsdk:"docker_config_path"`
	CacheDir         types.String    `tfsdk:"cache_dir"`
	Timeout          types.String    `tfsdk:"timeout"`
	MaxRetries       types.Int64     `tfsdk:"max_retries"`
	Registries       []registryModel `tfsdk:"registry"`
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
	ECR           *ecrModel    `tfsdk:"ecr"`
}

// ecrModel is the ecr block of a registry block.
type ecrModel struct {
	Region       types.String `tfsdk:"region"`
	RegistryID   types.String `tfsdk:"registry_id"`
	Profile      types.String `tfsdk:"profile"`
	AccessKey    types.String `tfsdk:"access_key"`
	SecretKey    types.String `tfsdk:"secret_key"`
	SessionToken types.String `tfsdk:"session_token"`
	RoleARN      types.String `tfsdk:"role_arn"`
	ExternalID   types.String `tfsdk:"external_id"`
	SessionName  types.String `tfsdk:"session_name"`
	Endpoint     types.String `tfsdk:"endpoint"`
}

func (m *ecrModel) config() ecr.Config {
	return ecr.Config{
		Region:       m.Region.ValueString(),
		RegistryID:   m.RegistryID.ValueString(),
		Profile:      m.Profile.ValueString(),
		AccessKey:    m.AccessKey.ValueString(),
		SecretKey:    m.SecretKey.ValueString(),
		SessionToken: m.SessionToken.ValueString(),
		RoleARN:      m.RoleARN.ValueString(),
		ExternalID:   m.ExternalID.ValueString(),
		SessionName:  m.SessionName.ValueString(),
		Endpoint:     m.Endpoint.ValueString(),
	}
}

func (m *ecrModel) values() map[string]attr.Value {
	return map[string]attr.Value{
		"region": m.Region, "registry_id": m.RegistryID, "profile": m.Profile, "access_key": m.AccessKey,
		"secret_key": m.SecretKey, "session_token": m.SessionToken, "role_arn": m.RoleARN,
		"external_id": m.ExternalID, "session_name": m.SessionName, "endpoint": m.Endpoint,
	}
}

// providerData is what Configure hands to every data source: one client for
// the whole run, so that pings and tokens are shared.
type providerData struct {
	client  *registry.Client
	timeout time.Duration
	// unknown lists settings not known at plan time; reads fail with a
	// diagnostic naming them.
	unknown []string
	// secrets are masked in every log line of a read.
	secrets []string
}

func (p *imageinfoProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "imageinfo"
	resp.Version = p.version
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
					"inside `timeout`. `0` disables retries. Defaults to `%d`; at most `%d`.", defaultMaxRetries, maxMaxRetries),
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, maxMaxRetries)},
			},
		},
		Blocks: map[string]schema.Block{
			"registry": schema.ListNestedBlock{
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
							Optional: true,
						},
						"password": schema.StringAttribute{
							MarkdownDescription: "Password, personal access token or robot-account secret, given with `username`.",
							Optional:            true,
							Sensitive:           true,
						},
						"token": schema.StringAttribute{
							MarkdownDescription: "A registry bearer token, sent as is in `Authorization: Bearer` without any token exchange. " +
								"For a short-lived registry access token obtained elsewhere, for example from the registry's token endpoint by a CI job. " +
								"The registry's challenge is not consulted for it, so it must be valid for pulling the repositories read.",
							Optional:  true,
							Sensitive: true,
						},
						"identity_token": schema.StringAttribute{
							MarkdownDescription: "An OAuth2 refresh token for the registry's token realm (what `docker login` stores as " +
								"`identitytoken`), such as an ACR refresh token from `az acr login --expose-token`. It is exchanged for pull " +
								"tokens with `POST grant_type=refresh_token`; where the token server does not support that (it answers " +
								"404, 405, 400 or 401), with a `GET` sending it as the password, as containerd does.",
							Optional:  true,
							Sensitive: true,
						},
						"client_cert_pem": schema.StringAttribute{
							MarkdownDescription: "PEM-encoded client certificate (and any intermediates) for registries that require " +
								"mutual TLS, given with `client_key_pem`.",
							Optional: true,
						},
						"client_key_pem": schema.StringAttribute{
							MarkdownDescription: "PEM-encoded private key of `client_cert_pem`.",
							Optional:            true,
							Sensitive:           true,
						},
						"insecure": schema.BoolAttribute{
							MarkdownDescription: "Allow plain HTTP to this registry: HTTPS is tried first, as Docker does for an insecure " +
								"registry, then HTTP. Registries on loopback addresses are treated this way already. Conflicts with " +
								"`skip_tls_verify` and `ca_cert_pem`. Defaults to `false`.",
							Optional: true,
						},
						"skip_tls_verify": schema.BoolAttribute{
							MarkdownDescription: "Do not verify the registry's TLS certificate. Prefer `ca_cert_pem`: without verification " +
								"anyone on the network path can impersonate the registry. Defaults to `false`.",
							Optional: true,
						},
						"ca_cert_pem": schema.StringAttribute{
							MarkdownDescription: "PEM-encoded CA certificate(s) trusted for this registry in addition to the system's, " +
								"for registries with a private CA.",
							Optional:   true,
							Validators: []validator.String{validators.CertificatesPEM()},
						},
					},
					Blocks: map[string]schema.Block{
						"ecr": ecrBlockSchema(),
					},
				},
			},
		},
	}
}

func ecrBlockSchema() schema.SingleNestedBlock {
	return schema.SingleNestedBlock{
		MarkdownDescription: "Amazon ECR: the password comes from the ECR API call `GetAuthorizationToken` (for " +
			"`public.ecr.aws`, from ECR Public's, in `us-east-1`), made with AWS credentials and cached until shortly before " +
			"it expires (12 hours), one call per registry and credential set for the whole run. AWS access keys are never " +
			"accepted as a registry username/password: give them here. With no attribute set (`ecr {}`), the default AWS " +
			"credential chain is used: environment, shared config and credentials files (`AWS_PROFILE`), SSO, web identity, " +
			"container and instance roles. ECR hostnames without a `registry` block use that chain automatically. The " +
			"credentials need `ecr:GetAuthorizationToken`, and `ecr:BatchGetImage` and `ecr:GetDownloadUrlForLayer` on the repositories read.",
		Attributes: map[string]schema.Attribute{
			"region": schema.StringAttribute{
				MarkdownDescription: "Region of the ECR API. Defaults to the region in the address " +
					"(`<account>.dkr.ecr.<region>.amazonaws.com`); required when the address is not an ECR hostname (a proxy or alias).",
				Optional: true,
			},
			"registry_id": schema.StringAttribute{
				MarkdownDescription: "The 12-digit AWS account id that owns the registry. Defaults to the one in the address; " +
					"must agree with it. Named in diagnostics.",
				Optional: true,
			},
			"profile": schema.StringAttribute{
				MarkdownDescription: "A profile of the shared AWS config and credentials files (`~/.aws/config`, `~/.aws/credentials`, " +
					"or `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`). Conflicts with `access_key`.",
				Optional: true,
			},
			"access_key": schema.StringAttribute{
				MarkdownDescription: "AWS access key id, given with `secret_key` (and `session_token` for temporary keys), " +
					"instead of the default credential chain.",
				Optional: true,
			},
			"secret_key": schema.StringAttribute{
				MarkdownDescription: "AWS secret access key, given with `access_key`.",
				Optional:            true,
				Sensitive:           true,
			},
			"session_token": schema.StringAttribute{
				MarkdownDescription: "AWS session token, for temporary keys given with `access_key` and `secret_key`.",
				Optional:            true,
				Sensitive:           true,
			},
			"role_arn": schema.StringAttribute{
				MarkdownDescription: "ARN of an IAM role to assume (`sts:AssumeRole`) with the credentials above before calling " +
					"ECR, e.g. for cross-account pulls.",
				Optional: true,
			},
			"external_id": schema.StringAttribute{
				MarkdownDescription: "External id required by the role's trust policy, with `role_arn`.",
				Optional:            true,
			},
			"session_name": schema.StringAttribute{
				MarkdownDescription: "Session name of the assumed role, with `role_arn`. Defaults to `" + ecr.DefaultSessionName + "`.",
				Optional:            true,
			},
			"endpoint": schema.StringAttribute{
				MarkdownDescription: "URL of the ECR API endpoint, e.g. an interface VPC endpoint " +
					"(`https://vpce-….api.ecr.us-east-1.vpce.amazonaws.com`). `AWS_ENDPOINT_URL_ECR` is honoured when unset.",
				Optional: true,
			},
		},
	}
}

// ValidateConfig checks the rules that span attributes: exclusive
// credentials, conflicting TLS settings, and one block per registry.
func (p *imageinfoProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	seen := map[string]int{}
	for i, r := range cfg.Registries {
		at := path.Root("registry").AtListIndex(i)
		validateRegistryBlock(r, at, resp)
		if r.Address.IsUnknown() || r.Address.IsNull() {
			continue
		}
		addr, err := imageref.NormalizeAddress(r.Address.ValueString())
		if err != nil {
			continue // reported by the attribute validator
		}
		if j, dup := seen[addr]; dup {
			resp.Diagnostics.AddAttributeError(at.AtName("address"), "Duplicate Registry Block",
				fmt.Sprintf("registry blocks %d and %d both configure %q (addresses are compared after normalisation: "+
					"docker.io, index.docker.io and registry-1.docker.io are one registry). Merge them into one block.", j, i, addr))
		}
		seen[addr] = i
	}
}

func validateRegistryBlock(r registryModel, at path.Path, resp *provider.ValidateConfigResponse) {
	set := func(v interface{ IsNull() bool }) bool { return !v.IsNull() }
	hasUser, hasPassword, hasToken, hasIdentity := set(r.Username), set(r.Password), set(r.Token), set(r.IdentityToken)
	if hasUser != hasPassword {
		missing, given := "password", "username"
		if hasPassword {
			missing, given = "username", "password"
		}
		resp.Diagnostics.AddAttributeError(at.AtName(missing), "Incomplete Registry Credentials",
			fmt.Sprintf("%s is set but %s is not: Basic credentials need both. For a registry bearer token, use token instead.", given, missing))
	}
	const oneKind = "A registry block takes at most one kind of credentials: username with password, token, identity_token, or an ecr block."
	kinds := 0
	for _, has := range []bool{hasUser || hasPassword, hasToken, hasIdentity} {
		if has {
			kinds++
		}
	}
	if kinds > 1 {
		attr := "token"
		if hasIdentity {
			attr = "identity_token"
		}
		resp.Diagnostics.AddAttributeError(at.AtName(attr), "Conflicting Registry Credentials", oneKind+" Remove all but one of them.")
	}
	if r.ECR != nil && kinds > 0 {
		resp.Diagnostics.AddAttributeError(at.AtName("ecr"), "Conflicting Registry Credentials",
			oneKind+" With ecr, the password comes from GetAuthorizationToken: remove username, password, token and identity_token.")
	}
	if set(r.ClientCertPEM) != set(r.ClientKeyPEM) {
		missing := "client_key_pem"
		if set(r.ClientKeyPEM) {
			missing = "client_cert_pem"
		}
		resp.Diagnostics.AddAttributeError(at.AtName(missing), "Incomplete Client Certificate",
			"client_cert_pem and client_key_pem go together: give both for mutual TLS, or neither.")
	} else if known(r.ClientCertPEM) && known(r.ClientKeyPEM) {
		if _, err := tls.X509KeyPair([]byte(r.ClientCertPEM.ValueString()), []byte(r.ClientKeyPEM.ValueString())); err != nil {
			resp.Diagnostics.AddAttributeError(at.AtName("client_cert_pem"), "Invalid Client Certificate",
				fmt.Sprintf("client_cert_pem and client_key_pem are not a usable certificate and key pair: %v. Give the PEM "+
					"certificate and its own private key (PKCS #1, PKCS #8 or SEC 1).", err))
		}
	}
	validateECR(r, at, resp)
	if r.Insecure.ValueBool() && (r.SkipTLSVerify.ValueBool() || set(r.CACertPEM) || set(r.ClientCertPEM)) {
		resp.Diagnostics.AddAttributeError(at.AtName("insecure"), "Conflicting TLS Settings",
			"insecure allows plain HTTP, so TLS settings (skip_tls_verify, ca_cert_pem, client certificates) do not apply with it. "+
				"Keep insecure for a registry that serves plain HTTP, or the TLS settings for one that serves HTTPS.")
	}
	if r.SkipTLSVerify.ValueBool() && set(r.CACertPEM) {
		resp.Diagnostics.AddAttributeError(at.AtName("skip_tls_verify"), "Conflicting TLS Settings",
			"skip_tls_verify turns certificate verification off, so ca_cert_pem would never be used. Remove skip_tls_verify.")
	}
}

// validateECR checks what can be known without AWS: AWS keys given as
// registry credentials, and an ecr block that contradicts its address.
func validateECR(r registryModel, at path.Path, resp *provider.ValidateConfigResponse) {
	if !known(r.Address) {
		return
	}
	addr, err := imageref.NormalizeAddress(r.Address.ValueString())
	if err != nil {
		return
	}
	_, isECR := ecr.ParseHost(addr)
	if known(r.Username) && (isECR || ecr.IsPublic(addr)) && ecr.LooksLikeAccessKeyID(r.Username.ValueString()) {
		msg, _ := ecrChallengeAdvice(addr, "", nil, r.Username.ValueString(), false)
		resp.Diagnostics.AddAttributeError(at.AtName("username"), "AWS Access Keys Given As Registry Credentials", msg)
	}
	if r.ECR == nil {
		return
	}
	for _, v := range r.ECR.values() {
		if v.IsUnknown() {
			return
		}
	}
	if _, err := ecr.NewSource(r.ECR.config(), addr); err != nil {
		resp.Diagnostics.AddAttributeError(at.AtName("ecr"), "Invalid ECR Configuration", ecrConfigAdvice(err))
	}
}

func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }

func (p *imageinfoProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx = withLogMasking(ctx, configSecrets(cfg)...)
	if unknown := unknownSettings(cfg); len(unknown) > 0 {
		// Fail the reads that need the configuration, not the whole plan:
		// a configuration with no data source to read is still valid.
		resp.DataSourceData = &providerData{unknown: unknown}
		return
	}

	timeout := defaultTimeout
	if !cfg.Timeout.IsNull() {
		// Validated by the attribute validator.
		timeout, _ = time.ParseDuration(cfg.Timeout.ValueString())
	}
	maxRetries := defaultMaxRetries
	if !cfg.MaxRetries.IsNull() {
		maxRetries = int(cfg.MaxRetries.ValueInt64())
	}

	hosts := map[string]registry.HostOptions{}
	creds := map[string]auth.Credentials{}
	// One cache per provider instance: every data source of the run shares
	// its ECR passwords.
	ecrCache := &ecr.Cache{}
	for i, r := range cfg.Registries {
		addr, err := imageref.NormalizeAddress(r.Address.ValueString())
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("registry").AtListIndex(i).AtName("address"), "Invalid Registry Address", err.Error())
			continue
		}
		host, err := hostOptions(r)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("registry").AtListIndex(i), "Invalid TLS Settings",
				fmt.Sprintf("The TLS settings of this registry block cannot be used: %v.", err))
			continue
		}
		hosts[addr] = host
		creds[addr] = auth.Credentials{
			Username:      r.Username.ValueString(),
			Password:      r.Password.ValueString(),
			Token:         r.Token.ValueString(),
			IdentityToken: r.IdentityToken.ValueString(),
		}
		if r.ECR != nil {
			src, err := ecrCache.Source(r.ECR.config(), addr)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("registry").AtListIndex(i).AtName("ecr"), "Invalid ECR Configuration",
					ecrConfigAdvice(err))
				continue
			}
			c := creds[addr]
			c.ECR = src
			creds[addr] = c
		}
		tflog.Debug(ctx, "registry block configured", map[string]any{
			"registry": addr, "credentials": credentialKind(creds[addr]), "insecure": host.Insecure, "custom_tls": host.TLS != nil,
		})
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// The order of DESIGN.md: registry blocks, the Docker config, ECR
	// hostnames, anonymous.
	var sources []authn.Keychain
	if cfg.DockerConfig.IsNull() || cfg.DockerConfig.ValueBool() {
		dc := auth.NewDockerConfig(cfg.DockerConfigPath.ValueString())
		tflog.Debug(ctx, "reading credentials from the Docker config", map[string]any{"path": dc.Path()})
		sources = append(sources, dc)
	}
	sources = append(sources, auth.ECRHosts{Cache: ecrCache})

	store, err := openCache(cfg.CacheDir)
	if err != nil {
		resp.Diagnostics.AddAttributeWarning(path.Root("cache_dir"), "Cache Not Available",
			fmt.Sprintf("The cache cannot be used, so every read asks the registry: %v. Set cache_dir to a writable directory, or to \"\" to turn the cache off.", err))
	}

	data := &providerData{
		client: registry.New(registry.Options{
			Cache:      store,
			Keychain:   auth.Keychain(auth.NewStatic(creds), sources...),
			Hosts:      hosts,
			MaxRetries: maxRetries,
			UserAgent:  "terraform-provider-imageinfo/" + p.version,
		}),
		timeout: timeout,
		secrets: configSecrets(cfg),
	}
	resp.DataSourceData = data
}

// credentialKind names the kind of credentials for logs, never their value.
func credentialKind(c auth.Credentials) string {
	switch {
	case c.ECR != nil:
		return "ecr"
	case c.IdentityToken != "":
		return "identity token"
	case c.Token != "":
		return "token"
	case c.Username != "":
		return "username/password"
	}
	return "none"
}

func hostOptions(r registryModel) (registry.HostOptions, error) {
	h := registry.HostOptions{Insecure: r.Insecure.ValueBool()}
	if r.SkipTLSVerify.ValueBool() || !r.CACertPEM.IsNull() || !r.ClientCertPEM.IsNull() {
		tc := &tls.Config{MinVersion: tls.VersionTLS12}
		if r.SkipTLSVerify.ValueBool() {
			tc.InsecureSkipVerify = true //nolint:gosec // The user asked for it, and the attribute's description says what it costs.
		}
		if !r.CACertPEM.IsNull() {
			certs, err := validators.ParseCertificates(r.CACertPEM.ValueString())
			if err != nil {
				return h, err
			}
			pool, err := x509.SystemCertPool()
			if err != nil {
				pool = x509.NewCertPool()
			}
			for _, c := range certs {
				pool.AddCert(c)
			}
			tc.RootCAs = pool
		}
		if !r.ClientCertPEM.IsNull() {
			pair, err := tls.X509KeyPair([]byte(r.ClientCertPEM.ValueString()), []byte(r.ClientKeyPEM.ValueString()))
			if err != nil {
				return h, fmt.Errorf("client_cert_pem and client_key_pem: %w", err)
			}
			tc.Certificates = []tls.Certificate{pair}
		}
		h.TLS = tc
	}
	return h, nil
}

// unknownSettings lists the settings whose values are not known yet.
func unknownSettings(cfg providerModel) []string {
	var out []string
	check := func(name string, v attr.Value) {
		if v.IsUnknown() {
			out = append(out, name)
		}
	}
	check("cache_dir", cfg.CacheDir)
	check("docker_config", cfg.DockerConfig)
	check("docker_config_path", cfg.DockerConfigPath)
	check("timeout", cfg.Timeout)
	check("max_retries", cfg.MaxRetries)
	for i, r := range cfg.Registries {
		p := fmt.Sprintf("registry[%d].", i)
		check(p+"address", r.Address)
		check(p+"username", r.Username)
		check(p+"password", r.Password)
		check(p+"token", r.Token)
		check(p+"identity_token", r.IdentityToken)
		check(p+"client_cert_pem", r.ClientCertPEM)
		check(p+"client_key_pem", r.ClientKeyPEM)
		check(p+"insecure", r.Insecure)
		check(p+"skip_tls_verify", r.SkipTLSVerify)
		check(p+"ca_cert_pem", r.CACertPEM)
		if r.ECR != nil {
			for name, v := range r.ECR.values() {
				check(p+"ecr."+name, v)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (p *imageinfoProvider) Resources(context.Context) []func() resource.Resource { return nil }

func (p *imageinfoProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newManifestDataSource,
		newTagsDataSource,
		newDigestsDataSource,
	}
}

// Functions are pure: they never use the client or the configuration.
func (p *imageinfoProvider) Functions(context.Context) []func() function.Function {
	return []func() function.Function{
		newParseReferenceFunction,
		newPinFunction,
	}
}

// openCache opens the cache_dir setting: the default directory when unset,
// none when "".
func openCache(dir types.String) (*cache.Store, error) {
	if dir.IsNull() {
		d, err := cache.DefaultDir()
		if err != nil {
			return nil, err
		}
		return cache.Open(d)
	}
	return cache.Open(dir.ValueString())
}
