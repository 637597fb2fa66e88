package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The provider's protocol server: the framework's, except for the two RPCs
// that Terraform sends for every instance of imageinfo_manifest in a plan,
// ValidateDataResourceConfig and ReadDataSource.
//
// Configurations instantiate imageinfo_manifest by the hundred (for_each
// over a service's images), and for each instance the framework's handling
// of these two RPCs cost more CPU than the warm read itself: it decodes the
// configuration into schema data, walks every attribute of the schema for
// validators and again for semantic equality, and logs each step at TRACE
// whether anyone reads it or not. This server answers them from
// terraform-plugin-go values instead, as the framework would: the schema's
// own validators run on the configured values, and the data source's read
// is the same function the framework calls. Any other request, and any
// request it cannot decode, goes to the framework.

// ProtocolV6 returns a constructor for the provider's protocol 6 server, for
// tf6server.Serve, and for terraform-plugin-testing (ProtoV6ProviderFactories).
// Each server has a provider of its own.
func ProtocolV6(version string) func() tfprotov6.ProviderServer {
	return func() tfprotov6.ProviderServer {
		p := &imageinfoProvider{version: version}
		return newServer(p, providerserver.NewProtocol6(p)())
	}
}

type server struct {
	tfprotov6.ProviderServer // the framework's server
	p                        *imageinfoProvider
	// manifest answers imageinfo_manifest's two RPCs; nil when its schema has
	// a validator this server cannot run, and the framework answers them.
	manifest *directDataSource
}

func newServer(p *imageinfoProvider, framework tfprotov6.ProviderServer) *server {
	s := &server{ProviderServer: framework, p: p}
	s.manifest = newDirectDataSource(&manifestDataSource{}, func(ctx context.Context, data *providerData, config tftypes.Value, diags *diag.Diagnostics) *tftypes.Value {
		return (&manifestDataSource{data: data}).read(ctx, config, diags)
	})
	return s
}

// directDataSource is what the server needs to answer a data source's
// validation and read without the framework.
type directDataSource struct {
	typeName string
	tfType   tftypes.Object
	schema   schema.Schema
	// validators are the schema's, by attribute: every one of them is on a
	// top-level string attribute (newDirectDataSource checks).
	validators map[string][]validator.String
	// required and readOnly name the top-level attributes that must be set,
	// and those that must not be.
	required, readOnly []string
	read               func(ctx context.Context, data *providerData, config tftypes.Value, diags *diag.Diagnostics) *tftypes.Value
}

// newDirectDataSource describes ds for the server, or returns nil when the
// server could not validate its configuration exactly as the framework
// does: ds validates its configuration as a whole (ConfigValidators,
// ValidateConfig), its schema has blocks, deprecated attributes, or
// validators other than on top-level string attributes.
func newDirectDataSource(ds datasource.DataSource, read func(context.Context, *providerData, tftypes.Value, *diag.Diagnostics) *tftypes.Value) *directDataSource {
	if _, ok := ds.(datasource.DataSourceWithConfigValidators); ok {
		return nil
	}
	if _, ok := ds.(datasource.DataSourceWithValidateConfig); ok {
		return nil
	}
	ctx := context.Background()
	var meta datasource.MetadataResponse
	ds.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: providerTypeName}, &meta)
	var sch datasource.SchemaResponse
	ds.Schema(ctx, datasource.SchemaRequest{}, &sch)
	tfType, ok := sch.Schema.Type().TerraformType(ctx).(tftypes.Object)
	if !ok || len(sch.Schema.Blocks) > 0 {
		return nil
	}
	d := &directDataSource{typeName: meta.TypeName, tfType: tfType, schema: sch.Schema, validators: map[string][]validator.String{}, read: read}
	for name, a := range sch.Schema.Attributes {
		if a.GetDeprecationMessage() != "" {
			return nil
		}
		switch {
		case a.IsRequired():
			d.required = append(d.required, name)
		case a.IsComputed() && !a.IsOptional():
			d.readOnly = append(d.readOnly, name)
		}
		if sa, ok := a.(schema.StringAttribute); ok {
			if len(sa.Validators) > 0 {
				d.validators[name] = sa.Validators
			}
			continue
		}
		if !validatorFree(a) {
			return nil
		}
	}
	return d
}

// validatorFree reports whether an attribute, and every attribute nested in
// it, declares no validator. Kinds the server does not know count as
// declaring one.
func validatorFree(a schema.Attribute) bool {
	var n int
	var children map[string]schema.Attribute
	switch a := a.(type) {
	case schema.StringAttribute:
		n = len(a.Validators)
	case schema.Int64Attribute:
		n = len(a.Validators)
	case schema.BoolAttribute:
		n = len(a.Validators)
	case schema.MapAttribute:
		n = len(a.Validators)
	case schema.ListAttribute:
		n = len(a.Validators)
	case schema.ListNestedAttribute:
		n, children = len(a.Validators)+len(a.NestedObject.Validators), a.NestedObject.Attributes
	case schema.SingleNestedAttribute:
		n, children = len(a.Validators), a.Attributes
	default:
		return false
	}
	if n > 0 {
		return false
	}
	for _, child := range children {
		if !validatorFree(child) {
			return false
		}
	}
	return true
}

// decode finds the data source this server answers for typeName and decodes
// its configuration; ok is false when the framework is to answer.
func (s *server) decode(typeName string, config *tfprotov6.DynamicValue) (d *directDataSource, v tftypes.Value, ok bool) {
	if s.manifest == nil || typeName != s.manifest.typeName || config == nil {
		return nil, v, false
	}
	v, err := config.Unmarshal(s.manifest.tfType)
	return s.manifest, v, err == nil
}

// ValidateDataResourceConfig validates the configuration as the framework's
// SchemaValidate does for top-level attributes.
func (s *server) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	d, config, ok := s.decode(req.TypeName, req.Config)
	if !ok {
		return s.ProviderServer.ValidateDataResourceConfig(ctx, req)
	}
	diags, ok := d.validate(ctx, config)
	if !ok {
		return s.ProviderServer.ValidateDataResourceConfig(ctx, req)
	}
	return &tfprotov6.ValidateDataResourceConfigResponse{Diagnostics: protoDiagnostics(ctx, diags)}, nil
}

// validate checks required and read-only attributes, then runs the schema's
// validators on the configured values; ok is false for a configuration it
// cannot read.
func (d *directDataSource) validate(ctx context.Context, config tftypes.Value) (diags diag.Diagnostics, ok bool) {
	var attrs map[string]tftypes.Value
	if err := config.As(&attrs); err != nil {
		return nil, false
	}
	// Terraform checks these two itself; the framework checks them again,
	// with these words.
	for _, name := range d.readOnly {
		if !attrs[name].IsNull() {
			diags.AddAttributeError(path.Root(name), "Invalid Configuration for Read-Only Attribute",
				"Cannot set value for this attribute as the provider has marked it as read-only. Remove the configuration line setting the value.\n\n"+
					"Refer to the provider documentation or contact the provider developers for additional information about configurable and read-only attributes that are supported.")
		}
	}
	for _, name := range d.required {
		if attrs[name].IsNull() {
			diags.AddAttributeError(path.Root(name), "Missing Configuration for Required Attribute",
				fmt.Sprintf("Must set a configuration value for the %s attribute as the provider has marked it as required.\n\n", name)+
					"Refer to the provider documentation or contact the provider developers for additional information about configurable attributes that are required.")
		}
	}
	for name, validators := range d.validators {
		value, err := stringValue(attrs[name])
		if err != nil {
			return nil, false
		}
		req := validator.StringRequest{
			Path:           path.Root(name),
			PathExpression: path.MatchRoot(name),
			Config:         tfsdk.Config{Raw: config, Schema: d.schema},
			ConfigValue:    value,
		}
		for _, v := range validators {
			var resp validator.StringResponse
			v.ValidateString(ctx, req, &resp)
			diags.Append(resp.Diagnostics...)
		}
	}
	return diags, true
}

// ReadDataSource reads the data source with the provider's configured data.
// As with the framework, the state of a failed read is the configuration.
func (s *server) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	d, config, ok := s.decode(req.TypeName, req.Config)
	if !ok {
		return s.ProviderServer.ReadDataSource(ctx, req)
	}
	var diags diag.Diagnostics
	state := config
	if read := d.read(ctx, s.p.configured.Load(), config, &diags); read != nil && !diags.HasError() {
		state = *read
	}
	resp := &tfprotov6.ReadDataSourceResponse{Diagnostics: protoDiagnostics(ctx, diags)}
	dv, err := tfprotov6.NewDynamicValue(d.tfType, state)
	if err != nil {
		resp.Diagnostics = append(resp.Diagnostics, &tfprotov6.Diagnostic{
			Severity: tfprotov6.DiagnosticSeverityError,
			Summary:  "Unexpected State",
			Detail:   "The state of " + d.typeName + " could not be encoded: " + err.Error() + ". This is a bug in the provider: please report it.",
		})
		return resp, nil //nolint:nilerr // The failure is the diagnostic above.
	}
	resp.State = &dv
	return resp, nil
}

// stringValue is the framework's value of a string attribute.
func stringValue(v tftypes.Value) (types.String, error) {
	switch {
	case v.IsNull():
		return types.StringNull(), nil
	case !v.IsKnown():
		return types.StringUnknown(), nil
	}
	var s string
	if err := v.As(&s); err != nil {
		return types.String{}, err
	}
	return types.StringValue(s), nil
}

// protoDiagnostics converts framework diagnostics to the protocol's, as the
// framework does when it answers.
func protoDiagnostics(ctx context.Context, diags diag.Diagnostics) []*tfprotov6.Diagnostic {
	if len(diags) == 0 {
		return nil
	}
	out := make([]*tfprotov6.Diagnostic, 0, len(diags))
	for _, d := range diags {
		pd := &tfprotov6.Diagnostic{Summary: d.Summary(), Detail: d.Detail(), Severity: tfprotov6.DiagnosticSeverityInvalid}
		switch d.Severity() {
		case diag.SeverityError:
			pd.Severity = tfprotov6.DiagnosticSeverityError
		case diag.SeverityWarning:
			pd.Severity = tfprotov6.DiagnosticSeverityWarning
		}
		if dp, ok := d.(diag.DiagnosticWithPath); ok {
			pd.Attribute = attributePath(ctx, dp.Path())
		}
		out = append(out, pd)
	}
	return out
}

// attributePath converts a framework path to the protocol's; nil when a step
// has no protocol form.
func attributePath(ctx context.Context, p path.Path) *tftypes.AttributePath {
	ap := tftypes.NewAttributePath()
	for _, step := range p.Steps() {
		switch step := step.(type) {
		case path.PathStepAttributeName:
			ap = ap.WithAttributeName(string(step))
		case path.PathStepElementKeyString:
			ap = ap.WithElementKeyString(string(step))
		case path.PathStepElementKeyInt:
			ap = ap.WithElementKeyInt(int(step))
		case path.PathStepElementKeyValue:
			v, err := step.ToTerraformValue(ctx)
			if err != nil {
				return nil
			}
			ap = ap.WithElementKeyValue(v)
		default:
			return nil
		}
	}
	return ap
}
