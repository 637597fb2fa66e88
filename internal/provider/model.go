package provider

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/imageinfo/terraform-provider-imageinfo/internal/imageref"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/logenv"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/platform"
	"github.com/imageinfo/terraform-provider-imageinfo/internal/registry"
)

// Data sources read their arguments from, and write their state as,
// terraform-plugin-go values directly. The framework's reflection
// (Config.Get, State.Set) costs more CPU per read than the HEAD request and
// the cache lookup of a warm read together, for a schema the size of
// imageinfo_manifest's; these helpers cost next to nothing. Each data source
// keeps its attribute types beside its schema, and a test holds the two
// equal.

// objectType is the Terraform type of an object with these attribute types.
func objectType(attrTypes map[string]attr.Type) tftypes.Object {
	return types.ObjectType{AttrTypes: attrTypes}.TerraformType(context.Background()).(tftypes.Object) //nolint:forcetypeassert // An ObjectType's Terraform type is always an Object.
}

// tfString is a known string.
func tfString(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }

// tfOptionalString is a string, null when empty.
func tfOptionalString(s string) tftypes.Value {
	if s == "" {
		return tftypes.NewValue(tftypes.String, nil)
	}
	return tftypes.NewValue(tftypes.String, s)
}

// tfNumber is a known integer.
func tfNumber(n int64) tftypes.Value { return tftypes.NewValue(tftypes.Number, n) }

// stringMapType is the Terraform type of a map of strings.
var stringMapType = tftypes.Map{ElementType: tftypes.String}

// tfStringMap is a map of strings; nil is an empty map, so that
// configurations can index it without null checks.
func tfStringMap(m map[string]string) tftypes.Value {
	values := make(map[string]tftypes.Value, len(m))
	for k, v := range m {
		values[k] = tfString(v)
	}
	return tftypes.NewValue(stringMapType, values)
}

// configStrings reads string arguments of a data source's configuration:
// what Terraform sent, by attribute name. A null argument is absent from
// the result. Terraform reads a data source only once its configuration is
// known, so an unknown value is a bug worth saying.
func configStrings(raw tftypes.Value, names ...string) (map[string]string, error) {
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		v, ok := attrs[name]
		if !ok || v.IsNull() {
			continue
		}
		if !v.IsKnown() {
			return nil, fmt.Errorf("%s is not known yet", name)
		}
		var s string
		if err := v.As(&s); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		out[name] = s
	}
	return out, nil
}

// configStringMap reads a map-of-strings argument of a data source's
// configuration; a null map is empty.
func configStringMap(raw tftypes.Value, name string) (map[string]string, error) {
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		return nil, err
	}
	v, ok := attrs[name]
	if !ok || v.IsNull() {
		return map[string]string{}, nil
	}
	if !v.IsFullyKnown() {
		return nil, fmt.Errorf("%s is not known yet", name)
	}
	var elements map[string]tftypes.Value
	if err := v.As(&elements); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := make(map[string]string, len(elements))
	for k, e := range elements {
		var s *string
		if err := e.As(&s); err != nil {
			return nil, fmt.Errorf("%s[%q]: %w", name, k, err)
		}
		if s == nil {
			return nil, fmt.Errorf("%s[%q] is null", name, k)
		}
		out[k] = *s
	}
	return out, nil
}

// referenceArgument parses the reference argument; an attribute error when it
// does not parse (the validator reports it first whenever the value is known
// at validate time).
func referenceArgument(s string, diags *diag.Diagnostics) (imageref.Reference, bool) {
	ref, err := imageref.Parse(s)
	if err != nil {
		diags.AddAttributeError(path.Root("reference"), "Invalid Image Reference", err.Error()+".")
		return ref, false
	}
	return ref, true
}

// platformArgument parses the platform argument: nil when it is not set, and
// an attribute error when it does not parse (the validator reports it first
// whenever the value is known at validate time).
func platformArgument(args map[string]string, diags *diag.Diagnostics) *platform.Platform {
	s, ok := args["platform"]
	if !ok {
		return nil
	}
	p, err := platform.Parse(s)
	if err != nil {
		diags.AddAttributeError(path.Root("platform"), "Invalid Platform", err.Error()+".")
		return nil
	}
	return &p
}

// unexpectedConfiguration reports configuration that Terraform should never
// send.
func unexpectedConfiguration(diags *diag.Diagnostics, err error) {
	diags.AddError("Unexpected Configuration", err.Error()+". This is a bug in the provider: please report it.")
}

// begin prepares the context of a read that talks to registries: secrets
// masked in its logs, the provider's timeout, and a watch of the pull limits
// its requests report. Masking costs a few regular expressions over every
// line logged, written or not; with the loggers off (logenv.Off) it is left
// out.
func (p *providerData) begin(ctx context.Context) (context.Context, context.CancelFunc, *registry.RateLimitWatch) {
	if !logenv.Off() {
		ctx = withLogMasking(ctx, p.secrets...)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	ctx, limits := registry.WatchRateLimits(ctx)
	return ctx, cancel, limits
}

// stringMap converts a Go map to a framework map of strings, for data sources
// whose models go through the framework; nil becomes an empty map, so that
// configurations can index it without null checks.
func stringMap(ctx context.Context, m map[string]string) (types.Map, diag.Diagnostics) {
	if m == nil {
		m = map[string]string{}
	}
	return types.MapValueFrom(ctx, types.StringType, m)
}
