package validators

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// TestConflictsWhenTrue: only true conflicts, with a string that is set or
// a bool that is true; false, null and unknown values conflict with nothing.
func TestConflictsWhenTrue(t *testing.T) {
	objectType := tftypes.Object{AttributeTypes: map[string]tftypes.Type{"on": tftypes.Bool, "flag": tftypes.Bool, "text": tftypes.String}}
	s := schema.Schema{Attributes: map[string]schema.Attribute{
		"on": schema.BoolAttribute{Optional: true}, "flag": schema.BoolAttribute{Optional: true}, "text": schema.StringAttribute{Optional: true},
	}}
	const unknown = "unknown"
	value := func(typ tftypes.Type, v any) tftypes.Value {
		if v == unknown {
			return tftypes.NewValue(typ, tftypes.UnknownValue)
		}
		return tftypes.NewValue(typ, v)
	}
	tests := []struct {
		on, flag, text any // nil is null
		want           []string
	}{
		{on: true, flag: true, text: "x", want: []string{`"flag" cannot be true when "on" is true`, `"text" cannot be specified when "on" is true`}},
		{on: true, flag: false, text: "", want: []string{`"text" cannot be specified`}},
		{on: true, flag: nil, text: nil},
		{on: true, flag: unknown, text: unknown},
		{on: false, flag: true, text: "x"},
		{on: nil, flag: true, text: "x"},
		{on: unknown, flag: true, text: "x"},
	}
	v := ConflictsWhenTrue(path.MatchRoot("flag"), path.MatchRoot("text"))
	for _, tt := range tests {
		config := tfsdk.Config{Schema: s, Raw: tftypes.NewValue(objectType, map[string]tftypes.Value{
			"on": value(tftypes.Bool, tt.on), "flag": value(tftypes.Bool, tt.flag), "text": value(tftypes.String, tt.text),
		})}
		var on types.Bool
		if diags := config.GetAttribute(context.Background(), path.Root("on"), &on); diags.HasError() {
			t.Fatal(diags)
		}
		resp := &validator.BoolResponse{}
		v.ValidateBool(context.Background(), validator.BoolRequest{Path: path.Root("on"), PathExpression: path.MatchRoot("on"), ConfigValue: on, Config: config}, resp)
		var got []string
		for _, d := range resp.Diagnostics {
			got = append(got, d.Summary()+": "+d.Detail())
		}
		if len(got) != len(tt.want) {
			t.Errorf("on %v, flag %v, text %v: %q, want %d diagnostics", tt.on, tt.flag, tt.text, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], "Invalid Attribute Combination") || !strings.Contains(got[i], w) {
				t.Errorf("on %v, flag %v, text %v: %q, want %q", tt.on, tt.flag, tt.text, got[i], w)
			}
		}
	}
}
