package provider

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
)

// ValidateConfig checks the rules that span attributes: exclusive
// credentials, conflicting TLS settings, and one block per registry.
func (p *imageinfoProvider) ValidateConfig(ctx context.Context, req provider.ValidateConfigRequest, resp *provider.ValidateConfigResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	blocks, diags := registryBlocks(ctx, cfg.Registries)
	resp.Diagnostics.Append(diags...)
	seen := map[string]int{}
	for i, r := range blocks {
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
	if !r.ECR.IsNull() && kinds > 0 {
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
		msg, _ := ecr.ExplainChallenge(addr, "", nil, r.Username.ValueString(), false)
		resp.Diagnostics.AddAttributeError(at.AtName("username"), "AWS Access Keys Given As Registry Credentials", msg)
	}
	if r.ECR.IsNull() || len(unknownIn("ecr", r.ECR, nil)) > 0 {
		return
	}
	if _, err := ecr.NewSource(ecrConfig(r.ECR), addr); err != nil {
		resp.Diagnostics.AddAttributeError(at.AtName("ecr"), "Invalid ECR Configuration", strings.TrimPrefix(err.Error(), "ecr: ")+".")
	}
}

func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }
