package provider

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sort"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/cache"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

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

func (p *imageinfoProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	s, diags := clientConfig(ctx, cfg, p.version)
	resp.Diagnostics.Append(diags...)
	if diags.HasError() {
		return
	}
	data := &providerData{timeout: s.timeout, unknown: s.unknown, secrets: s.secrets}
	// With settings not known yet, fail the reads that need the
	// configuration, not the whole plan: a configuration with no data
	// source to read is still valid.
	if len(s.unknown) == 0 {
		data.client = registry.New(s.options)
	}
	resp.DataSourceData = data
	p.configured.Store(data)
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

// clientSettings is what the provider configuration comes to.
type clientSettings struct {
	options registry.Options
	// timeout bounds one read.
	timeout time.Duration
	// secrets are the configuration's secret values, for log masking.
	secrets []string
	// unknown names the settings not known yet; when there are any, the
	// other fields but secrets are zero.
	unknown []string
}

// clientConfig translates the provider configuration into the registry
// client's options, applying the defaults. It needs no Terraform, and does
// no I/O but create the cache directory.
func clientConfig(ctx context.Context, cfg providerModel, version string) (clientSettings, diag.Diagnostics) {
	s := clientSettings{secrets: configSecrets(cfg), unknown: unknownSettings(cfg)}
	if len(s.unknown) > 0 {
		return s, nil
	}
	ctx = withLogMasking(ctx, s.secrets...)
	blocks, diags := registryBlocks(ctx, cfg.Registries)
	if diags.HasError() {
		return s, diags
	}
	// One ECR cache per provider instance: every data source of the run
	// shares its ECR passwords.
	ecrCache := &ecr.Cache{}
	hosts, creds, d := registrySettings(ctx, blocks, ecrCache)
	diags.Append(d...)
	if diags.HasError() {
		return s, diags
	}

	s.timeout = defaultTimeout
	if !cfg.Timeout.IsNull() {
		// Validated by the attribute validator.
		s.timeout, _ = time.ParseDuration(cfg.Timeout.ValueString())
	}
	maxRetries := registry.DefaultMaxRetries
	if !cfg.MaxRetries.IsNull() {
		maxRetries = int(cfg.MaxRetries.ValueInt64())
	}

	// Where a registry's credentials come from, the first that has any
	// winning: its registry block, the Docker config, the default AWS chain
	// for an ECR hostname; anonymous when none has.
	var sources []authn.Keychain
	if cfg.DockerConfig.IsNull() || cfg.DockerConfig.ValueBool() {
		dc := auth.NewDockerConfig(cfg.DockerConfigPath.ValueString())
		tflog.Debug(ctx, "reading credentials from the Docker config", map[string]any{"path": dc.Path()})
		sources = append(sources, dc)
	}
	sources = append(sources, auth.ECRHosts{Cache: ecrCache})

	store, err := openCache(cfg.CacheDir)
	if err != nil {
		diags.AddAttributeWarning(path.Root("cache_dir"), "Cache Not Available",
			fmt.Sprintf("The cache cannot be used, so every read asks the registry: %v. Set cache_dir to a writable directory, or to \"\" to turn the cache off.", err))
	}

	s.options = registry.Options{
		Cache:      store,
		Keychain:   auth.Keychain(auth.NewStatic(creds), sources...),
		Hosts:      hosts,
		MaxRetries: maxRetries,
		UserAgent:  "terraform-provider-imageinfo/" + version,
	}
	return s, diags
}

// registrySettings translates the registry blocks: connection settings and
// credentials, by canonical registry address.
func registrySettings(ctx context.Context, blocks []registryModel, ecrCache *ecr.Cache) (map[string]registry.HostOptions, map[string]auth.Credentials, diag.Diagnostics) {
	var diags diag.Diagnostics
	hosts := map[string]registry.HostOptions{}
	creds := map[string]auth.Credentials{}
	for i, r := range blocks {
		at := path.Root("registry").AtListIndex(i)
		addr, err := imageref.NormalizeAddress(r.Address.ValueString())
		if err != nil {
			diags.AddAttributeError(at.AtName("address"), "Invalid Registry Address", err.Error())
			continue
		}
		host, err := hostOptions(r)
		if err != nil {
			diags.AddAttributeError(at, "Invalid TLS Settings", fmt.Sprintf("The TLS settings of this registry block cannot be used: %v.", err))
			continue
		}
		c := auth.Credentials{
			Username:      r.Username.ValueString(),
			Password:      r.Password.ValueString(),
			Token:         r.Token.ValueString(),
			IdentityToken: r.IdentityToken.ValueString(),
		}
		if !r.ECR.IsNull() {
			if c.ECR, err = ecrCache.Source(ecrConfig(r.ECR), addr); err != nil {
				diags.AddAttributeError(at.AtName("ecr"), "Invalid ECR Configuration", ecrConfigAdvice(err))
				continue
			}
		}
		hosts[addr], creds[addr] = host, c
		fields := map[string]any{"registry": addr, "insecure": host.Insecure, "custom_tls": host.TLS != nil}
		if !c.Empty() {
			// A block without credentials leaves them to the next
			// sources: its line names no kind.
			fields["credentials"] = c.Kind()
		}
		tflog.Debug(ctx, "registry block configured", fields)
	}
	return hosts, creds, diags
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

// unknownSettings lists the settings whose values are not known yet, by
// name: "timeout", "registry[0].password", "registry[1].ecr.region", or
// "registry" when the blocks themselves are not known (a dynamic block over
// an unknown value).
func unknownSettings(cfg providerModel) []string {
	var out []string
	out = unknownIn("cache_dir", cfg.CacheDir, out)
	out = unknownIn("docker_config", cfg.DockerConfig, out)
	out = unknownIn("docker_config_path", cfg.DockerConfigPath, out)
	out = unknownIn("timeout", cfg.Timeout, out)
	out = unknownIn("max_retries", cfg.MaxRetries, out)
	out = unknownIn("registry", cfg.Registries, out)
	sort.Strings(out)
	return out
}

// unknownIn appends to out the names of the values in v, a setting, list of
// blocks or block, that are not known yet.
func unknownIn(name string, v attr.Value, out []string) []string {
	if v.IsUnknown() {
		return append(out, name)
	}
	switch v := v.(type) {
	case types.List:
		for i, e := range v.Elements() {
			out = unknownIn(fmt.Sprintf("%s[%d]", name, i), e, out)
		}
	case types.Object:
		for k, a := range v.Attributes() {
			out = unknownIn(name+"."+k, a, out)
		}
	}
	return out
}

// ecrConfig is the ecr.Config an ecr block sets.
func ecrConfig(block types.Object) ecr.Config {
	var c ecr.Config
	values := block.Attributes()
	for _, s := range ecrSettings {
		if v, ok := values[s.name].(types.String); ok {
			*s.field(&c) = v.ValueString()
		}
	}
	return c
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
