package provider

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/objectvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/auth/ecr"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/validators"
)

// The registry block's rules between attributes, declared on an attribute of
// each rule for the framework to check (registryBlockSchema attaches them),
// with the framework's diagnostics ("Invalid Attribute Combination").
//
// At most one kind of credentials per block: username with password, token,
// identity_token, or ecr. Each kind declares its conflict with the kinds
// before it, so that a conflict is reported once, on the later attribute.
//
// insecure and skip_tls_verify conflict only when true: false is the same as
// leaving them out, so validators.ConflictsWhenTrue, not
// boolvalidator.ConflictsWith, which would refuse insecure = false beside a
// CA.
var (
	usernameValidators      = []validator.String{stringvalidator.AlsoRequires(sibling("password"))}
	passwordValidators      = []validator.String{stringvalidator.AlsoRequires(sibling("username"))}
	tokenValidators         = []validator.String{stringvalidator.ConflictsWith(siblings("username", "password")...)}
	identityTokenValidators = []validator.String{stringvalidator.ConflictsWith(siblings("username", "password", "token")...)}
	ecrValidators           = []validator.Object{objectvalidator.ConflictsWith(siblings("username", "password", "token", "identity_token")...)}

	clientCertValidators    = []validator.String{stringvalidator.AlsoRequires(sibling("client_key_pem"))}
	clientKeyValidators     = []validator.String{stringvalidator.AlsoRequires(sibling("client_cert_pem"))}
	insecureValidators      = []validator.Bool{validators.ConflictsWhenTrue(siblings("skip_tls_verify", "ca_cert_pem", "client_cert_pem")...)}
	skipTLSVerifyValidators = []validator.Bool{validators.ConflictsWhenTrue(sibling("ca_cert_pem"))}
)

// sibling is the attribute of that name in the same block.
func sibling(name string) path.Expression { return path.MatchRelative().AtParent().AtName(name) }

func siblings(names ...string) []path.Expression {
	out := make([]path.Expression, len(names))
	for i, n := range names {
		out[i] = sibling(n)
	}
	return out
}

// ValidateConfig checks what the framework's validators cannot say: one
// block per registry, a client certificate that goes with its key, AWS keys
// given as registry credentials, and an ecr block that contradicts its
// address.
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
		validateClientCertificate(r, at, resp)
		if !known(r.Address) {
			continue
		}
		addr, err := imageref.NormalizeAddress(r.Address.ValueString())
		if err != nil {
			continue // reported by the attribute validator
		}
		validateECR(r, addr, at, resp)
		if j, dup := seen[addr]; dup {
			resp.Diagnostics.AddAttributeError(at.AtName("address"), "Duplicate Registry Block",
				fmt.Sprintf("registry blocks %d and %d both configure %q (addresses are compared after normalisation: "+
					"docker.io, index.docker.io and registry-1.docker.io are one registry). Merge them into one block.", j, i, addr))
		}
		seen[addr] = i
	}
}

// validateClientCertificate checks that a client certificate and key given
// together are a pair.
func validateClientCertificate(r registryModel, at path.Path, resp *provider.ValidateConfigResponse) {
	if !known(r.ClientCertPEM) || !known(r.ClientKeyPEM) {
		return
	}
	if _, err := tls.X509KeyPair([]byte(r.ClientCertPEM.ValueString()), []byte(r.ClientKeyPEM.ValueString())); err != nil {
		resp.Diagnostics.AddAttributeError(at.AtName("client_cert_pem"), "Invalid Client Certificate",
			fmt.Sprintf("client_cert_pem and client_key_pem are not a usable certificate and key pair: %v. Give the PEM "+
				"certificate and its own private key (PKCS #1, PKCS #8 or SEC 1).", err))
	}
}

// validateECR checks what can be known without AWS: AWS keys given as
// registry credentials, and an ecr block that contradicts its address.
func validateECR(r registryModel, addr string, at path.Path, resp *provider.ValidateConfigResponse) {
	_, isECR := ecr.ParseHost(addr)
	if known(r.Username) && (isECR || ecr.IsPublic(addr)) && ecr.LooksLikeAccessKeyID(r.Username.ValueString()) {
		msg, _ := ecrChallengeAdvice(addr, "", nil, r.Username.ValueString(), false)
		resp.Diagnostics.AddAttributeError(at.AtName("username"), "AWS Access Keys Given As Registry Credentials", msg)
	}
	if r.ECR.IsNull() || len(unknownIn("ecr", r.ECR, nil)) > 0 {
		return
	}
	if _, err := ecr.NewSource(ecrConfig(r.ECR), addr); err != nil {
		resp.Diagnostics.AddAttributeError(at.AtName("ecr"), "Invalid ECR Configuration", ecrConfigAdvice(err))
	}
}

func known(v attr.Value) bool { return !v.IsNull() && !v.IsUnknown() }
