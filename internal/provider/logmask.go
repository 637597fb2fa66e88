package provider

import (
	"context"
	"regexp"

	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// secretFieldKeys are log field keys whose values are masked, whoever logs
// them: the provider's secret attributes and the names credentials go by in
// the Docker config, the token protocol and HTTP.
var secretFieldKeys = []string{
	"password", "token", "identity_token", "identitytoken", "registry_token", "registrytoken",
	"refresh_token", "access_token", "secret_key", "session_token", "client_key_pem",
	"auth", "authorization", "Authorization", "www_authenticate",
}

// credentialPatterns mask what credentials look like on the wire, in
// messages and field values alike: Authorization header values (Basic, or
// Bearer with any token), and JSON Web Tokens wherever they appear.
var credentialPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(basic|bearer)\s+[A-Za-z0-9+/._~-]{8,}={0,2}`),
	regexp.MustCompile(`\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
}

// withLogMasking returns ctx with masking for every tflog line logged with it
// or a context derived from it: the values of fields named like secrets,
// anything shaped like a credential, and the given secret values wherever
// they appear, in the message or any field. Masking belongs to a context,
// and the framework gives each RPC a context of its own: Configure and every
// Read apply it to theirs.
func withLogMasking(ctx context.Context, secrets ...string) context.Context {
	ctx = tflog.MaskFieldValuesWithFieldKeys(ctx, secretFieldKeys...)
	ctx = tflog.MaskLogRegexes(ctx, credentialPatterns...)
	var values []string
	for _, s := range secrets {
		if s != "" {
			values = append(values, s)
		}
	}
	if len(values) > 0 {
		ctx = tflog.MaskLogStrings(ctx, values...)
	}
	return ctx
}

// configSecrets lists the secret values of a provider configuration: those
// of every attribute the schema marks sensitive, in the registry blocks and
// their ecr blocks, known or not yet.
func configSecrets(cfg providerModel) []string {
	registry := registryBlockSchema().NestedObject
	ecrBlock := ecrBlockSchema()
	var out []string
	for _, r := range cfg.Registries.Elements() {
		block, ok := r.(types.Object)
		if !ok {
			continue
		}
		out = sensitiveValues(block, registry.Attributes, out)
		if e, ok := block.Attributes()["ecr"].(types.Object); ok {
			out = sensitiveValues(e, ecrBlock.Attributes, out)
		}
	}
	return out
}

// sensitiveValues appends to out the values of block's sensitive attributes.
func sensitiveValues(block types.Object, attrs map[string]schema.Attribute, out []string) []string {
	values := block.Attributes()
	for name, a := range attrs {
		if v, ok := values[name].(types.String); ok && a.IsSensitive() {
			out = append(out, v.ValueString())
		}
	}
	return out
}
