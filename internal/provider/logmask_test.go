package provider

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

// TestLogMasking: with withLogMasking, a log line keeps none of a configured
// secret, a field named like a secret, an Authorization value or a JWT, in
// its message or its fields; without it, the same line shows them all (so
// the test can tell).
func TestLogMasking(t *testing.T) {
	const configured = "configured-s3cret-41f0"
	jwt := "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl"
	leaks := []string{configured, "field-pw-9e2a", "YWxpY2U6c2VjcmV0", jwt, "opaque-bearer-token-77c1"}
	logLine := func(ctx context.Context) {
		tflog.Debug(ctx, "sent Authorization: Basic YWxpY2U6c2VjcmV0 and "+configured, map[string]any{
			"password": "field-pw-9e2a",
			"header":   "Bearer opaque-bearer-token-77c1",
			"response": `{"token":"` + jwt + `"}`,
			"note":     "the configured value " + configured,
			"registry": "ghcr.io",
		})
	}
	var plain, masked bytes.Buffer
	logLine(tflogtest.RootLogger(context.Background(), &plain))
	logLine(withLogMasking(tflogtest.RootLogger(context.Background(), &masked), configured, ""))
	for _, s := range leaks {
		if !strings.Contains(plain.String(), s) {
			t.Fatalf("the unmasked line does not hold %q, so the test proves nothing: %s", s, plain.String())
		}
		if strings.Contains(masked.String(), s) {
			t.Errorf("the masked line holds %q: %s", s, masked.String())
		}
	}
	if !strings.Contains(masked.String(), "ghcr.io") || !strings.Contains(masked.String(), "***") {
		t.Errorf("masking hid too much, or nothing: %s", masked.String())
	}
}

// TestConfigSecrets: configSecrets gives masking the values of exactly the
// attributes the schema marks sensitive, in registry blocks and their ecr
// blocks, and those include every credential the provider takes.
func TestConfigSecrets(t *testing.T) {
	registry := registryBlockSchema().NestedObject
	ecrBlock := ecrBlockSchema()
	values := func(attrs map[string]schema.Attribute) (map[string]attr.Value, map[string]bool) {
		set, sensitive := map[string]attr.Value{}, map[string]bool{}
		for name, a := range attrs {
			if _, ok := a.(schema.StringAttribute); ok {
				set[name] = types.StringValue("value-of-" + name)
				sensitive["value-of-"+name] = a.IsSensitive()
			}
		}
		return set, sensitive
	}
	set, sensitive := values(registry.Attributes)
	ecrSet, ecrSensitive := values(ecrBlock.Attributes)
	maps.Copy(sensitive, ecrSensitive)
	set["ecr"] = ecrObject(t, ecrSet)
	got := configSecrets(providerModel{Registries: registryList(t, registryObject(t, set))})
	for v, want := range sensitive {
		if slices.Contains(got, v) != want {
			t.Errorf("configSecrets has %s: %t, want %t (sensitive in the schema)", v, !want, want)
		}
	}
	for _, name := range []string{"password", "token", "identity_token", "client_key_pem", "secret_key", "session_token"} {
		if !slices.Contains(got, "value-of-"+name) {
			t.Errorf("%s is not sensitive in the schema, or not masked", name)
		}
	}
}
