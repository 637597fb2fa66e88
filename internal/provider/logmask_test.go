package provider

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/provider"
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

// TestConfigSecretsCoversSensitiveAttributes: every attribute the schema
// marks sensitive, in registry blocks and their ecr blocks, is among the
// values configSecrets gives to masking, so a sensitive attribute added
// later cannot be forgotten.
func TestConfigSecretsCoversSensitiveAttributes(t *testing.T) {
	var resp provider.SchemaResponse
	(&imageinfoProvider{}).Schema(context.Background(), provider.SchemaRequest{}, &resp)
	registry, ok := resp.Schema.Blocks["registry"].(schema.ListNestedBlock)
	if !ok {
		t.Fatal("no registry block in the schema")
	}
	ecrBlock, ok := registry.NestedObject.Blocks["ecr"].(schema.SingleNestedBlock)
	if !ok {
		t.Fatal("no ecr block in the schema")
	}
	var r registryModel
	r.ECR = &ecrModel{}
	want := setSensitive(t, reflect.ValueOf(&r).Elem(), registry.NestedObject.Attributes)
	want = append(want, setSensitive(t, reflect.ValueOf(r.ECR).Elem(), ecrBlock.Attributes)...)
	if len(want) < 5 {
		t.Fatalf("found only %d sensitive attributes: %v", len(want), want)
	}
	got := strings.Join(configSecrets([]registryModel{r}), "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("configSecrets leaves out the sensitive attribute %s", strings.TrimPrefix(w, "value-of-"))
		}
	}
}

// setSensitive sets every string field of model whose attribute is
// sensitive to "value-of-<name>" and returns those values.
func setSensitive(t *testing.T, model reflect.Value, attrs map[string]schema.Attribute) []string {
	t.Helper()
	var values []string
	for i := range model.NumField() {
		name := model.Type().Field(i).Tag.Get("tfsdk")
		a, ok := attrs[name]
		if !ok || !a.IsSensitive() {
			continue
		}
		v := "value-of-" + name
		if model.Field(i).Type() != reflect.TypeOf(types.String{}) {
			t.Fatalf("sensitive attribute %s is not a string", name)
		}
		model.Field(i).Set(reflect.ValueOf(types.StringValue(v)))
		values = append(values, v)
	}
	return values
}
