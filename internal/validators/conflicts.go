package validators

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework-validators/helpers/validatordiag"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// ConflictsWhenTrue is boolvalidator.ConflictsWith for a switch whose false
// means the same as leaving it out: when the attribute is true, each
// attribute at the paths that is set is an error, where a bool counts as set
// only when it is true too. So `insecure = false` beside `ca_cert_pem` is no
// conflict, as it would be for boolvalidator.ConflictsWith, which takes any
// value but null. Unknown values are left for later, and the diagnostic is
// the framework validators' "Invalid Attribute Combination".
func ConflictsWhenTrue(expressions ...path.Expression) validator.Bool {
	return conflictsWhenTrue(expressions)
}

type conflictsWhenTrue path.Expressions

func (v conflictsWhenTrue) Description(context.Context) string {
	return fmt.Sprintf("when true, these attributes must not be set (or, for a bool, true): %s", path.Expressions(v))
}

func (v conflictsWhenTrue) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (v conflictsWhenTrue) ValidateBool(ctx context.Context, req validator.BoolRequest, resp *validator.BoolResponse) {
	if !req.ConfigValue.ValueBool() { // false, null or unknown
		return
	}
	for _, expression := range req.PathExpression.MergeExpressions(v...) {
		paths, diags := req.Config.PathMatches(ctx, expression)
		resp.Diagnostics.Append(diags...)
		for _, p := range paths {
			if p.Equal(req.Path) {
				continue
			}
			var other attr.Value
			diags := req.Config.GetAttribute(ctx, p, &other)
			resp.Diagnostics.Append(diags...)
			if diags.HasError() || other.IsNull() || other.IsUnknown() {
				continue
			}
			set := "specified"
			if b, ok := other.(types.Bool); ok {
				if !b.ValueBool() {
					continue
				}
				set = "true"
			}
			resp.Diagnostics.Append(validatordiag.InvalidAttributeCombinationDiagnostic(req.Path,
				fmt.Sprintf("Attribute %q cannot be %s when %q is true", p, set, req.Path)))
		}
	}
}
