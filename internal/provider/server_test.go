package provider

import (
	"context"
	"fmt"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/registrytest"
)

// TestServerAnswersAsTheFramework: the provider's server answers
// imageinfo_manifest's validation and read itself, and what it answers is
// what the framework answers to the same request: the same diagnostics
// (summary, detail, severity, attribute) and the same state.
func TestServerAnswersAsTheFramework(t *testing.T) {
	ctx := context.Background()
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	reg := registrytest.New(t, registrytest.Options{})
	if _, err := reg.PushImage(ctx, "team/app:1"); err != nil {
		t.Fatal(err)
	}
	if _, err := reg.PushIndex(ctx, "team/multi:1", []v1.Platform{{OS: "linux", Architecture: "amd64"}, {OS: "linux", Architecture: "arm64"}}); err != nil {
		t.Fatal(err)
	}

	srv, ok := ProtocolV6("test")().(*server)
	if !ok || srv.manifest == nil {
		t.Fatal("the provider's server does not answer imageinfo_manifest itself")
	}
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	null := tftypes.NewValue(tftypes.String, nil)
	configs := map[string]map[string]tftypes.Value{
		"image":                  {"reference": tfString(reg.Host + "/team/app:1")},
		"index with platform":    {"reference": tfString(reg.Host + "/team/multi:1"), "platform": tfString("linux/arm64")},
		"platform not offered":   {"reference": tfString(reg.Host + "/team/multi:1"), "platform": tfString("windows/amd64")},
		"missing tag":            {"reference": tfString(reg.Host + "/team/app:2")},
		"invalid reference":      {"reference": tfString("nginx@sha384:" + fmt.Sprintf("%096d", 0))},
		"invalid platform":       {"reference": tfString(reg.Host + "/team/app:1"), "platform": tfString("linux")},
		"both invalid":           {"reference": tfString("UPPER/case"), "platform": tfString("/")},
		"reference unknown":      {"reference": unknown, "platform": tfString("linux")},
		"everything unknown":     {"reference": unknown, "platform": unknown},
		"null reference":         {"reference": null},
		"read-only set":          {"reference": tfString(reg.Host + "/team/app:1"), "digest": tfString("sha256:" + fmt.Sprintf("%064d", 0))},
		"upper-case in registry": {"reference": tfString("Registry.Example.com/a:1")},
	}

	// Before the provider is configured: validation as usual, and reads
	// refused alike.
	for name, c := range configs {
		config := manifestConfigValue(t, c)
		t.Run("validate/"+name, func(t *testing.T) {
			req := &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "imageinfo_manifest", Config: &config}
			direct, framework := askBoth(t, req, srv.ValidateDataResourceConfig, srv.ProviderServer.ValidateDataResourceConfig)
			sameDiagnostics(t, direct.Diagnostics, framework.Diagnostics)
		})
	}
	t.Run("read before configure", func(t *testing.T) {
		config := manifestConfigValue(t, configs["image"])
		req := &tfprotov6.ReadDataSourceRequest{TypeName: "imageinfo_manifest", Config: &config}
		direct, framework := askBoth(t, req, srv.ReadDataSource, srv.ProviderServer.ReadDataSource)
		sameDiagnostics(t, direct.Diagnostics, framework.Diagnostics)
		if len(direct.Diagnostics) == 0 || direct.Diagnostics[0].Summary != "Provider Not Configured" {
			t.Errorf("read before configure: %v", direct.Diagnostics)
		}
	})

	configureForTest(t, srv, map[string]tftypes.Value{"cache_dir": tfString(t.TempDir()), "docker_config": tftypes.NewValue(tftypes.Bool, false)})
	for name, c := range configs {
		if !tftypes.NewValue(manifestType, fullManifestConfig(c)).IsFullyKnown() {
			continue // Terraform reads a data source only once its configuration is known.
		}
		config := manifestConfigValue(t, c)
		t.Run("read/"+name, func(t *testing.T) {
			req := &tfprotov6.ReadDataSourceRequest{TypeName: "imageinfo_manifest", Config: &config}
			direct, framework := askBoth(t, req, srv.ReadDataSource, srv.ProviderServer.ReadDataSource)
			sameDiagnostics(t, direct.Diagnostics, framework.Diagnostics)
			got, err := direct.State.Unmarshal(manifestType)
			if err != nil {
				t.Fatal(err)
			}
			want, err := framework.State.Unmarshal(manifestType)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("state:\n%v\nthe framework's:\n%v", got, want)
			}
		})
	}
}

// TestServerLeavesOtherValidationToTheFramework: a data source that
// validates more than top-level strings is answered by the framework.
func TestServerLeavesOtherValidationToTheFramework(t *testing.T) {
	read := func(context.Context, *providerData, tftypes.Value, *diag.Diagnostics) *tftypes.Value { return nil }
	for name, attrs := range map[string]map[string]schema.Attribute{
		"nested": {"n": schema.SingleNestedAttribute{Optional: true, Attributes: map[string]schema.Attribute{
			"s": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		}}},
		"list of nested": {"l": schema.ListNestedAttribute{Optional: true, NestedObject: schema.NestedAttributeObject{
			Attributes: map[string]schema.Attribute{
				"s": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
			},
		}}},
		"unknown kind": {"f": schema.Float64Attribute{Optional: true}},
	} {
		if d := newDirectDataSource(fakeDataSource{attrs}, read); d != nil {
			t.Errorf("%s: answered directly", name)
		}
	}
	if d := newDirectDataSource(fakeDataSource{map[string]schema.Attribute{
		"s": schema.StringAttribute{Optional: true, Validators: []validator.String{stringvalidator.LengthAtLeast(1)}},
		"n": schema.Int64Attribute{Computed: true},
	}}, read); d == nil || len(d.validators["s"]) != 1 {
		t.Errorf("top-level string validators: %+v", d)
	}
}

type fakeDataSource struct{ attrs map[string]schema.Attribute }

func (f fakeDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_fake"
}

func (f fakeDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{Attributes: f.attrs}
}

func (fakeDataSource) Read(context.Context, datasource.ReadRequest, *datasource.ReadResponse) {}

// fullManifestConfig is a configuration of imageinfo_manifest as Terraform
// sends it: every attribute, null where not set.
func fullManifestConfig(set map[string]tftypes.Value) map[string]tftypes.Value {
	attrs := map[string]tftypes.Value{}
	for name, typ := range manifestType.AttributeTypes {
		attrs[name] = tftypes.NewValue(typ, nil)
	}
	for name, v := range set {
		attrs[name] = v
	}
	return attrs
}

func manifestConfigValue(t *testing.T, set map[string]tftypes.Value) tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(manifestType, tftypes.NewValue(manifestType, fullManifestConfig(set)))
	if err != nil {
		t.Fatal(err)
	}
	return dv
}

// configureForTest configures the provider through the protocol with the
// given attributes and every other one null (no blocks).
func configureForTest(t *testing.T, srv tfprotov6.ProviderServer, set map[string]tftypes.Value) {
	t.Helper()
	ctx := context.Background()
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	typ, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("provider schema type %T", schemas.Provider.ValueType())
	}
	attrs := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, nil)
		if l, ok := at.(tftypes.List); ok {
			attrs[name] = tftypes.NewValue(l, []tftypes.Value{})
		}
	}
	for name, v := range set {
		attrs[name] = v
	}
	config, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, attrs))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &config})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range resp.Diagnostics {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			t.Fatalf("configuring the provider: %s: %s", d.Summary, d.Detail)
		}
	}
}

// askBoth sends req to the provider's server and to the framework's.
func askBoth[Req, Resp any](t *testing.T, req Req, direct, framework func(context.Context, Req) (Resp, error)) (Resp, Resp) {
	t.Helper()
	d, err := direct(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	f, err := framework(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return d, f
}

// sameDiagnostics compares diagnostics in any order.
func sameDiagnostics(t *testing.T, got, want []*tfprotov6.Diagnostic) {
	t.Helper()
	str := func(ds []*tfprotov6.Diagnostic) []string {
		var out []string
		for _, d := range ds {
			out = append(out, fmt.Sprintf("%v %q %q at %v", d.Severity, d.Summary, d.Detail, d.Attribute))
		}
		slices.Sort(out)
		return out
	}
	if g, w := str(got), str(want); !slices.Equal(g, w) {
		t.Errorf("diagnostics:\n%q\nthe framework's:\n%q", g, w)
	}
}
