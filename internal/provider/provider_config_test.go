package provider

import (
	"context"
	"slices"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// registryObject makes the value of a registry block: the given attributes,
// null for the others. "ecr" takes an ecrObject.
func registryObject(t *testing.T, set map[string]attr.Value) types.Object {
	t.Helper()
	return objectOf(t, registryBlockSchema().NestedObject.Type(), set)
}

// ecrObject makes the value of an ecr block, as registryObject does.
func ecrObject(t *testing.T, set map[string]attr.Value) types.Object {
	t.Helper()
	return objectOf(t, ecrBlockSchema().Type(), set)
}

func objectOf(t *testing.T, typ attr.Type, set map[string]attr.Value) types.Object {
	t.Helper()
	ot, ok := typ.(types.ObjectType)
	if !ok {
		t.Fatalf("%s is not an object type", typ)
	}
	values := map[string]attr.Value{}
	for name, at := range ot.AttrTypes {
		v, ok := set[name]
		if !ok {
			v = nullOf(t, at)
		}
		values[name] = v
	}
	for name := range set {
		if _, ok := ot.AttrTypes[name]; !ok {
			t.Fatalf("no attribute %q in %s", name, typ)
		}
	}
	obj, diags := types.ObjectValue(ot.AttrTypes, values)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return obj
}

func nullOf(t *testing.T, typ attr.Type) attr.Value {
	t.Helper()
	ctx := context.Background()
	v, err := typ.ValueFromTerraform(ctx, tftypes.NewValue(typ.TerraformType(ctx), nil))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// registryList makes the list of registry blocks.
func registryList(t *testing.T, blocks ...types.Object) types.List {
	t.Helper()
	elems := make([]attr.Value, len(blocks))
	for i, b := range blocks {
		elems[i] = b
	}
	list, diags := types.ListValue(registryBlockSchema().NestedObject.Type(), elems)
	if diags.HasError() {
		t.Fatal(diags)
	}
	return list
}

// TestECRConfig: every ecr attribute sets its own field of ecr.Config.
func TestECRConfig(t *testing.T) {
	set := map[string]attr.Value{}
	for _, s := range ecrSettings {
		set[s.name] = types.StringValue("value-of-" + s.name)
	}
	c := ecrConfig(ecrObject(t, set))
	for _, s := range ecrSettings {
		if got := *s.field(&c); got != "value-of-"+s.name {
			t.Errorf("ecr.Config field of %s = %q, want %q", s.name, got, "value-of-"+s.name)
		}
	}
}

// TestUnknownSettings names each setting not known yet by its path, down to
// the ecr block, and the registry blocks as a whole when they are unknown.
func TestUnknownSettings(t *testing.T) {
	known := registryObject(t, map[string]attr.Value{"address": types.StringValue("ghcr.io")})
	partly := registryObject(t, map[string]attr.Value{
		"address":  types.StringValue("x.dkr.ecr.us-east-1.amazonaws.com"),
		"password": types.StringUnknown(),
		"ecr":      ecrObject(t, map[string]attr.Value{"region": types.StringUnknown(), "profile": types.StringValue("p")}),
	})
	tests := []struct {
		name string
		cfg  providerModel
		want []string
	}{
		{"known", providerModel{Registries: registryList(t, known)}, nil},
		{"settings", providerModel{Timeout: types.StringUnknown(), Registries: registryList(t, known, partly)},
			[]string{"registry[1].ecr.region", "registry[1].password", "timeout"}},
		{"blocks", providerModel{Registries: types.ListUnknown(registryBlockSchema().NestedObject.Type())}, []string{"registry"}},
	}
	for _, tt := range tests {
		if got := unknownSettings(tt.cfg); !slices.Equal(got, tt.want) {
			t.Errorf("%s: unknownSettings = %q, want %q", tt.name, got, tt.want)
		}
	}
}
